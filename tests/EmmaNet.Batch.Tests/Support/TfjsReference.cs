using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>Runs the original TF.js graph model under Node (tests/tools/tfjs-run.mjs), the reference for converted models.</summary>
public static class TfjsReference
{
    public static List<(float[] Data, int[] Shape)> Run(string modelJson, float[] input, int[] shape, params string[] nodes)
    {
        using var temp = new TempFolder();
        var inputPath = temp.File("input.f32");
        File.WriteAllBytes(inputPath, MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(TestPaths.RepoRoot, "tests", "tools", "tfjs-run.mjs"), modelJson, inputPath, string.Join(',', shape), temp.File("out") }.Concat(nodes))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("tfjs-run failed: " + stderr.Result);
        }
        return nodes.Select((_, i) => (
            MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(temp.File($"out/{i}.f32"))).ToArray(),
            JsonSerializer.Deserialize<int[]>(File.ReadAllText(temp.File($"out/{i}.json")))!)).ToList();
    }
}
