using System.CommandLine;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>Options shared by the commands that run networks, and the objects built from them.</summary>
internal sealed class CommonOptions
{
    public Option<string?> Models { get; } = ModelsFolder();

    /// <summary>The <c>--models</c> option, for every command that loads models.</summary>
    public static Option<string?> ModelsFolder() => new("--models") { Description = "Models folder (default: $EMMANET_MODELS, then models/ beside the program or above it)" };

    public Option<ExecutionDevice> Device { get; } = new("--device") { Description = "auto (TensorRT, then CUDA, then CPU), cpu, cuda or tensorrt", DefaultValueFactory = _ => ExecutionDevice.Auto };

    public Option<int> DeviceId { get; } = (new Option<int>("--device-id") { Description = "GPU index", DefaultValueFactory = _ => 0 }).AtLeast(0);

    public Option<string?> TrtCache { get; } = new("--trt-cache") { Description = "TensorRT engine cache folder (must exist)" };

    public Option<bool> Fp16 { get; } = new("--fp16") { Description = "Allow FP16 kernels on TensorRT" };

    public Option<int> Threads { get; } = (new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads on CPU (0: half the cores, leaving the rest to ffmpeg)", DefaultValueFactory = _ => 0 }).AtLeast(0);

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Debug logging" };

    public Option<ImageBackend> ImageBackend { get; } = ImageBackendOption();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Models, Device, DeviceId, TrtCache, Fp16, Threads, Verbose, ImageBackend })
        {
            command.Options.Add(option);
        }
    }

    public ExecutionOptions Execution(ParseResult parse) =>
        new(parse.GetValue(Device), parse.GetValue(DeviceId), parse.GetValue(Threads), parse.GetValue(TrtCache), parse.GetValue(Fp16));

    /// <summary>
    /// Starts a command that runs networks: its logging, and the process-wide choice its options make (the image
    /// backend, said unless it is OpenCV as expected).
    /// </summary>
    private ILoggerFactory Begin(ParseResult parse)
    {
        var logging = CliLogging.Create(parse.GetValue(Verbose));
        ImageOps.Use(parse.GetValue(ImageBackend), logging.CreateLogger("emmanet"));
        return logging;
    }

    /// <summary>A command's action that runs networks, with <see cref="Begin"/>'s logging and <see cref="CliLogging.RunAsync(Func{ILoggerFactory}, Func{ILogger, Task{int}})"/>'s handling of bad inputs.</summary>
    public Task<int> RunAsync(ParseResult parse, Func<ILogger, Task<int>> action) => CliLogging.RunAsync(() => Begin(parse), action);

    private static Option<ImageBackend> ImageBackendOption() =>
        new Option<ImageBackend>("--image-ops")
        {
            Description = "Resize and warp with auto (OpenCV where its native library loads, else managed code), opencv or managed",
            DefaultValueFactory = _ => Batch.Imaging.ImageBackend.Auto,
        }.Must(backend => backend == Batch.Imaging.ImageBackend.OpenCv && ImageOps.OpenCvLoadProblem() is { } problem
            ? $"--image-ops opencv: OpenCV's native library does not load: {problem}" : null);
}
