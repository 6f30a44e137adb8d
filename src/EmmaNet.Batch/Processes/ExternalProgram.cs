using System.ComponentModel;
using System.Diagnostics;

namespace EmmaNet.Batch.Processes;

/// <summary>What a short-lived program said: its exit code and its whole stdout and stderr.</summary>
public sealed record ProgramResult(int ExitCode, string Stdout, string Stderr);

/// <summary>A program that could not be run: not installed, or not finished in time (it was killed).</summary>
public sealed class ProgramException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs a short-lived program (ffmpeg's device check, stat, npm, the doctor's version queries) to its end: arguments
/// as a list (no shell), both streams read while it runs (a full pipe cannot block it), killed with its children when
/// it passes its time limit. Long-running decodes stream instead (Decoding's FfmpegProcess).
/// </summary>
public static class ExternalProgram
{
    public static async Task<ProgramResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ProgramException($"{program} did not start");
        }
        catch (Win32Exception ex)
        {
            throw new ProgramException($"{program} is not installed or not on the PATH ({ex.Message}); scripts/setup.sh installs it", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                cancellationToken.ThrowIfCancellationRequested();
                throw new ProgramException($"{program} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s and was stopped");
            }
            return new ProgramResult(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>The same, waited for on this thread (for callers that are not asynchronous).</summary>
    public static ProgramResult Run(string program, IEnumerable<string> arguments, TimeSpan timeout) =>
        RunAsync(program, arguments, timeout).GetAwaiter().GetResult();

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
