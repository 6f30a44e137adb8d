using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Diagnostics;

public enum CheckLevel
{
    Ok,
    Info,
    Warn,
    Fail,
}

/// <summary>One finding of <see cref="MachineCheck"/>: how it stands, what was checked, and what was found.</summary>
public sealed record CheckResult(CheckLevel Level, string What, string Detail);

/// <summary>
/// What <c>emmanet doctor</c> checks on this machine. Required (a <see cref="CheckLevel.Fail"/>): ffmpeg and ffprobe,
/// the native ONNX Runtime library, every model present, matching its checksum and contract. Information: execution
/// providers, the GPU build, OpenCV (optional: image operations fall back to managed code), Node.js (for fetching
/// models), the default fusion model (made at setup; analyze needs it unless --no-fusion).
/// </summary>
public static class MachineCheck
{
    private static readonly string[] FfmpegTools = ["ffmpeg", "ffprobe"];

    public static IEnumerable<CheckResult> Run(string? modelsFolder)
    {
        foreach (var tool in FfmpegTools)
        {
            var version = FirstLine(tool, "-version");
            yield return new(version is null ? CheckLevel.Fail : CheckLevel.Ok, tool, version ?? "not found on PATH (apt-get install ffmpeg; scripts/setup.sh does it)");
        }
        foreach (var result in Runtime())
        {
            yield return result;
        }
        var opencvProblem = Imaging.ImageOps.OpenCvLoadProblem();
        yield return new(opencvProblem is null ? CheckLevel.Ok : CheckLevel.Info, "opencv",
            opencvProblem is null
                ? $"{OpenCvSharp.Cv2.GetVersionString()} native library loaded (image operations: OpenCV)"
                : $"native library does not load ({opencvProblem}); image operations run in managed code");
        var node = FirstLine("node", "--version");
        yield return new(node is null ? CheckLevel.Warn : CheckLevel.Ok, "node", node is null ? "not found: `emmanet models fetch` needs npm" : $"{node} (for `emmanet models fetch`)");
        foreach (var result in ModelsIn(modelsFolder))
        {
            yield return result;
        }
    }

    private static List<CheckResult> Runtime()
    {
        try
        {
            var plan = ProviderPlan.Resolve(ExecutionDevice.Auto, 0);
            return
            [
                new(CheckLevel.Ok, "onnxruntime", $"{OrtEnvironment.Ensure().GetVersionString()} native library loaded"),
                new(CheckLevel.Info, "execution providers", string.Join(", ", OrtEnv.Instance().GetAvailableProviders())),
                new(CheckLevel.Info, "--device auto", plan.Describe(ProviderPlan.ProviderName(plan.Order[0])) + (plan.GpuBuild ? "" : " (build with -p:EmmaNetGpu=true for CUDA/TensorRT)")),
            ];
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            return [new(CheckLevel.Fail, "onnxruntime", "native library not loadable: " + ex.Message.Split('\n')[0])];
        }
    }

    private static List<CheckResult> ModelsIn(string? modelsFolder)
    {
        ModelStore store;
        try
        {
            store = ModelStore.Open(modelsFolder);
        }
        catch (ModelException ex)
        {
            return [new(CheckLevel.Fail, "models", ex.Message)];
        }
        var cache = new OptimisedModelCache(OptimisedModelCache.DefaultFolder);
        var (copies, bytes) = cache.ThisMachinesCopies();
        var results = new List<CheckResult>
        {
            new(CheckLevel.Info, "models folder", store.Folder),
            new(CheckLevel.Info, "optimised copies", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{cache.Folder}: {copies} for this machine ({bytes / 1e6:F0} MB); each network's is made at its first load on the CPU")),
        };
        foreach (var entry in store.Manifest.Models)
        {
            try
            {
                store.Verify(entry.Id);
                results.Add(new(CheckLevel.Ok, "model " + entry.Id, $"{entry.File} (sha256 and contract ok)"));
            }
            catch (Exception ex) when (ex is ModelException or OnnxRuntimeException)
            {
                results.Add(new(CheckLevel.Fail, "model " + entry.Id, ex.Message));
            }
        }
        var fusionPath = Path.Combine(store.Folder, FusionModel.DefaultFileName);
        try
        {
            using var fusion = new FusionModel(fusionPath, new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance), requireRecord: true);
            results.Add(new(CheckLevel.Ok, "fusion model", $"{FusionModel.DefaultFileName} ({fusion.Variant}, T = {fusion.Steps}): {fusion.Training}"));
        }
        catch (Exception ex) when (ex is ModelException or OnnxRuntimeException or KeyNotFoundException or FormatException)
        {
            results.Add(new(CheckLevel.Warn, "fusion model", ex.Message + " (analyze needs it unless --no-fusion; scripts/train-default-fusion.sh makes it)"));
        }
        return results;
    }

    private static string? FirstLine(string program, string argument)
    {
        try
        {
            var result = Processes.ExternalProgram.Run(program, [argument], TimeSpan.FromSeconds(20));
            return result.ExitCode == 0 ? result.Stdout.Split('\n', 2)[0].Trim() : null;
        }
        catch (Processes.ProgramException)
        {
            return null;   // missing or hung: the doctor says the program is not usable
        }
    }
}
