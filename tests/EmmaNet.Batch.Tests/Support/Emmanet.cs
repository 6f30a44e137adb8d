using System.Diagnostics;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>The built <c>emmanet</c> program run as a user runs it, with the repository's models.</summary>
public static class Emmanet
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Task<Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>The program started, not awaited (to be killed by a test); with <paramref name="program"/>, that program is started with <paramref name="args"/> instead (a wrapper that runs emmanet).</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, string[] args, string? program = null)
    {
        var psi = new ProcessStartInfo(program ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (program is null)
        {
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "emmanet.dll"));
        }
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["EMMANET_MODELS"] = TestPaths.Models;
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        return Process.Start(psi)!;
    }

    /// <summary>Another program (a shell driving emmanet, say) run to its end.</summary>
    public static Task<Result> RunProgramAsync(string program, params string[] args) => WaitAsync(Start(new Dictionary<string, string>(), args, program), args);

    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) => WaitAsync(Start(environment, args), args);

    /// <summary>
    /// emmanet with <paramref name="args"/>, sent SIGINT as soon as <paramref name="whenExists"/> appears; its stderr
    /// goes to <paramref name="log"/>, and the result's stdout is "exit N". The signal comes from a shell beside the
    /// program, which polls for the file: this test host's own threads were measured to stall for seconds while the
    /// program used both cores.
    /// </summary>
    public static Task<Result> InterruptWhenAsync(string whenExists, string log, params string[] args)
    {
        var script = $"""
            env --default-signal=INT dotnet {Path.Combine(AppContext.BaseDirectory, "emmanet.dll")} {string.Join(' ', args)} 2> {log} &
            pid=$!
            for i in $(seq 1 6000); do [ -f {whenExists} ] && break; sleep 0.01; done
            kill -INT $pid
            wait $pid
            echo "exit $?"
            """;
        return RunProgramAsync("bash", "-c", script);
    }

    /// <summary>A run allowed <paramref name="limit"/> before it counts as hung (long sweeps); 240 s otherwise.</summary>
    public static Task<Result> RunWithLimitAsync(TimeSpan limit, params string[] args) => WaitAsync(Start(new Dictionary<string, string>(), args), args, limit);

    private static async Task<Result> WaitAsync(Process started, string[] args, TimeSpan? limit = null)
    {
        using var process = started;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var hang = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(240));
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("emmanet " + string.Join(' ', args) + " hung");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
