using System.Diagnostics;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>The built <c>emmanet</c> program run as a user runs it, with the repository's models.</summary>
public static class Emmanet
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "emmanet.dll"));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["EMMANET_MODELS"] = TestPaths.Models;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(240));
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
