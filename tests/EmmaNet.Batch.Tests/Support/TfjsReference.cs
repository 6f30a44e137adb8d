using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>
/// Runs the original models under Node, the reference for converted models: a TF.js graph model
/// (tests/tools/tfjs-run.mjs), or face-api's expression net by face-api's own code (tests/tools/faceapi-run.mjs).
/// </summary>
public static class TfjsReference
{
    public static List<(float[] Data, int[] Shape)> Run(string modelJson, float[] input, int[] shape, params string[] nodes) =>
        RunScript("tfjs-run.mjs", [modelJson], input, shape, [.. nodes], nodes.Length);

    /// <summary>face-api's FaceExpressionNet on RGB 0..255 crops: probabilities [n, 7] and pooled features [n, 1, 1, 256].</summary>
    public static List<(float[] Data, int[] Shape)> RunFaceApiExpression(string modelFolder, float[] input, int[] shape) =>
        RunScript("faceapi-run.mjs", [modelFolder], input, shape, [], outputs: 2);

    private static List<(float[] Data, int[] Shape)> RunScript(string script, string[] model, float[] input, int[] shape, string[] nodes, int outputs)
    {
        using var temp = new TempFolder();
        var inputPath = temp.File("input.f32");
        File.WriteAllBytes(inputPath, MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(TestPaths.RepoRoot, "tests", "tools", script) }.Concat(model).Concat([inputPath, string.Join(',', shape), temp.File("out")]).Concat(nodes))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed: " + stderr.Result);
        }
        return Enumerable.Range(0, outputs).Select(i => (
            MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(temp.File($"out/{i}.f32"))).ToArray(),
            JsonSerializer.Deserialize<int[]>(File.ReadAllText(temp.File($"out/{i}.json")))!)).ToList();
    }
}
