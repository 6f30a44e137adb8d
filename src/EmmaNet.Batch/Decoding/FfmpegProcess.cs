using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Runs one long-lived ffmpeg decode: its stdout (raw frames or samples) goes to <c>consume</c>, each stderr line to
/// <c>onStderr</c>, and only the last few error lines are kept, so memory does not grow with the video's length.
/// Arguments are passed as a list (no shell, no quoting), the input as <c>file:</c> plus an absolute path, so no file
/// name can be read as an option or a protocol. Failures become one-line <see cref="MediaException"/>s.
/// </summary>
/// <remarks>
/// FFMpegCore (used for probing) keeps every stderr line of a run in memory and cancels its pipe reader when ffmpeg
/// exits; both break a streaming decode whose filter graph logs each frame (docs/decisions.md).
/// </remarks>
internal static partial class FfmpegProcess
{
    private const int ErrorTailLines = 8;

    private const int SetPipeSize = 1031;   // F_SETPIPE_SZ

    private const int GetPipeSize = 1032;   // F_GETPIPE_SZ

    /// <summary>1 MiB, the most an unprivileged process may ask of Linux (/proc/sys/fs/pipe-max-size).</summary>
    private const int PipeBytes = 1 << 20;

    /// <summary>The full argument list for decoding <paramref name="inputPath"/> with the given output arguments to stdout (input options, e.g. a hardware decoder, before <c>-i</c>).</summary>
    public static List<string> Arguments(string inputPath, IEnumerable<string> outputArguments, IEnumerable<string>? inputArguments = null)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-nostats" };
        args.AddRange(inputArguments ?? []);
        args.AddRange(["-i", "file:" + Path.GetFullPath(inputPath)]);
        args.AddRange(outputArguments);
        args.Add("pipe:1");
        return args;
    }

    /// <summary>
    /// A Linux pipe holds 64 KiB, so a 720p frame (2.7 MB) took 42 reads, each a wake-up of ffmpeg and of the thread
    /// pool; a 1 MiB pipe takes 3 (docs/benchmarks.md). Left as it is where the system refuses.
    /// </summary>
    private static void Widen(Stream stdout)
    {
        if (OperatingSystem.IsLinux() && stdout is PipeStream pipe)
        {
            _ = Fcntl(pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, PipeBytes);
        }
    }

    /// <summary>What a pipe holds, in bytes (null off Linux or for another stream).</summary>
    internal static int? Capacity(Stream stream) =>
        OperatingSystem.IsLinux() && stream is PipeStream pipe ? Fcntl(pipe.SafePipeHandle.DangerousGetHandle(), GetPipeSize, 0) : null;

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(nint fd, int command, int argument);

    public static async Task RunAsync(
        string inputPath,
        IEnumerable<string> outputArguments,
        Func<Stream, CancellationToken, Task> consume,
        Action<string>? onStderr,
        CancellationToken cancellationToken,
        IEnumerable<string>? inputArguments = null,
        Action? stderrEnded = null)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in Arguments(inputPath, outputArguments, inputArguments))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = StartOrExplain(psi, inputPath);
        Widen(process.StandardOutput.BaseStream);
        var errorTail = new Queue<string>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                onStderr?.Invoke(line);
                if (IsErrorLine(line))
                {
                    lock (errorTail)
                    {
                        errorTail.Enqueue(line.Trim());
                        if (errorTail.Count > ErrorTailLines)
                        {
                            errorTail.Dequeue();
                        }
                    }
                }
            }
            stderrEnded?.Invoke();
        }, CancellationToken.None);

        try
        {
            await consume(process.StandardOutput.BaseStream, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            await stderr;
        }
        catch
        {
            // Cancelled, or the consumer failed: ffmpeg must not outlive us or block on a full pipe.
            Kill(process);
            throw;
        }

        if (process.ExitCode != 0)
        {
            string last;
            lock (errorTail)
            {
                last = errorTail.Count > 0 ? errorTail.Last() : $"exit code {process.ExitCode}";
            }
            throw new MediaException(inputPath, "ffmpeg could not decode it: " + last);
        }
    }

    private static Process StartOrExplain(ProcessStartInfo psi, string inputPath)
    {
        try
        {
            return Process.Start(psi) ?? throw new MediaException(inputPath, "could not start ffmpeg");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new MediaException(inputPath, $"could not start ffmpeg ({ex.Message}): is it installed? (scripts/setup.sh installs it)");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static bool IsErrorLine(string line) =>
        !line.StartsWith("[showinfo", StringComparison.Ordinal) &&
        (line.Contains("rror", StringComparison.Ordinal) || line.Contains("nvalid", StringComparison.Ordinal) ||
         line.Contains("No such", StringComparison.Ordinal) || line.Contains("failed", StringComparison.OrdinalIgnoreCase) ||
         line.Contains("does not contain", StringComparison.Ordinal) || line.Contains("matches no streams", StringComparison.Ordinal));
}
