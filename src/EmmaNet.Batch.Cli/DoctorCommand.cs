using System.CommandLine;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet doctor</c>: what this machine has for the analyzer. Required checks (ffmpeg and ffprobe, the native ONNX
/// Runtime and OpenCV libraries, every model present, matching its checksum and contract) decide the exit code;
/// the rest (execution providers, GPU build, Node.js for fetching models) is information.
/// </summary>
internal static class DoctorCommand
{
    private enum Level
    {
        Ok,
        Info,
        Warn,
        Fail,
    }

    private static readonly string[] FfmpegTools = ["ffmpeg", "ffprobe"];

    public static Command Create()
    {
        var models = CommonOptions.ModelsFolder();
        var command = new Command("doctor", "Check ffmpeg, native libraries, execution providers and models") { models };
        command.SetAction(parse =>
        {
            var failed = false;
            void Report(Level level, string what, string detail)
            {
                failed |= level == Level.Fail;
                Console.WriteLine($"{level.ToString().ToUpperInvariant(),-5} {what,-26} {detail}");
            }

            foreach (var tool in FfmpegTools)
            {
                var version = FirstLine(tool, "-version");
                Report(version is null ? Level.Fail : Level.Ok, tool, version ?? "not found on PATH (apt-get install ffmpeg; scripts/setup.sh does it)");
            }

            try
            {
                Report(Level.Ok, "onnxruntime", $"{OrtEnvironment.Ensure().GetVersionString()} native library loaded");
                Report(Level.Info, "execution providers", string.Join(", ", OrtEnv.Instance().GetAvailableProviders()));
                var plan = ProviderPlan.Resolve(ExecutionDevice.Auto, 0);
                Report(Level.Info, "--device auto", plan.Describe(ProviderPlan.ProviderName(plan.Order[0])) + (plan.GpuBuild ? "" : " (build with -p:EmmaNetGpu=true for CUDA/TensorRT)"));
            }
            catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
            {
                Report(Level.Fail, "onnxruntime", "native library not loadable: " + ex.Message.Split('\n')[0]);
            }

            // OpenCV is optional: without its native library (linux-arm64 has no OpenCvSharp runtime package) the
            // image operations run in managed code.
            var opencvProblem = Imaging.ImageOps.OpenCvLoadProblem();
            Report(opencvProblem is null ? Level.Ok : Level.Info, "opencv",
                opencvProblem is null
                    ? $"{OpenCvSharp.Cv2.GetVersionString()} native library loaded (image operations: OpenCV)"
                    : $"native library does not load ({opencvProblem}); image operations run in managed code");

            var node = FirstLine("node", "--version");
            Report(node is null ? Level.Warn : Level.Ok, "node", node is null ? "not found: `emmanet models fetch` needs npm" : $"{node} (for `emmanet models fetch`)");

            try
            {
                var store = ModelStore.Open(parse.GetValue(models));
                Report(Level.Info, "models folder", store.Folder);
                foreach (var entry in store.Manifest.Models)
                {
                    try
                    {
                        store.Resolve(entry.Id);
                        Report(Level.Ok, "model " + entry.Id, $"{entry.File} (sha256 and contract ok)");
                    }
                    catch (Exception ex) when (ex is ModelException or OnnxRuntimeException)
                    {
                        Report(Level.Fail, "model " + entry.Id, ex.Message);
                    }
                }
                // Made at setup, not fetched: analyze needs it unless --no-fusion or --fusion.
                var fusionPath = Path.Combine(store.Folder, Fusion.FusionModel.DefaultFileName);
                try
                {
                    using var fusion = new Fusion.FusionModel(fusionPath, new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), requireRecord: true);
                    Report(Level.Ok, "fusion model", $"{Fusion.FusionModel.DefaultFileName} ({fusion.Variant}, T = {fusion.Steps}): {fusion.Training}");
                }
                catch (Exception ex) when (ex is ModelException or OnnxRuntimeException or KeyNotFoundException or FormatException)
                {
                    Report(Level.Warn, "fusion model", ex.Message + " (analyze needs it unless --no-fusion; scripts/train-default-fusion.sh makes it)");
                }
            }
            catch (ModelException ex)
            {
                Report(Level.Fail, "models", ex.Message);
            }

            return failed ? ExitCodes.CouldNotRun : ExitCodes.Success;
        });
        return command;
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
