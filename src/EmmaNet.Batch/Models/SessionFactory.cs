using EmmaNet.Batch.Files;
using EmmaNet.Batch.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>
/// The one place that decides where a network runs. The run's <see cref="ProviderPlan"/> (TensorRT, CUDA, CPU for
/// <see cref="ExecutionDevice.Auto"/>, less what cannot load) is resolved once and said in one start-up line; the
/// provider actually used is returned so it can be written into output metadata.
/// </summary>
public sealed class SessionFactory(ExecutionOptions options, ILogger logger)
{
    public ExecutionOptions Options { get; } = options;

    /// <summary>
    /// CPU threads per session when not set: half the cores, since ffmpeg decodes on the other half
    /// (measured on 2 cores: 1 thread gives a faster pipeline than 2, docs/benchmarks.md).
    /// </summary>
    public static int DefaultCpuThreads => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Images per call for a model with a symbolic batch: 1 on CPU, where batching was measured slower and heavier on
    /// 2 cores (docs/benchmarks.md); 16 on CUDA/TensorRT, where batches keep the GPU busy.
    /// </summary>
    public static int DefaultImagesPerCall(string provider) => provider == "CPUExecutionProvider" ? 1 : 16;

    private readonly object gate = new();
    private ProviderPlan? plan;
    private List<ExecutionDevice>? order;
    private readonly List<string> runtimeReasons = [];
    private string? announced;
    private bool copiesRefused;
    private readonly OptimisedModelCache copies = new(options.OptimisedModelFolder ?? OptimisedModelCache.DefaultFolder);

    /// <summary>The run's provider plan, resolved (and its one start-up line logged) on first use.</summary>
    public ProviderPlan Plan
    {
        get
        {
            lock (gate)
            {
                if (plan is null && Options.TensorRtCacheFolder is { } cache && !Directory.Exists(cache))
                {
                    throw new ModelException($"TensorRT engine cache folder {cache} does not exist: create it or pass another with --trt-cache");
                }
                return plan ??= ProviderPlan.Resolve(Options.Device, Options.DeviceId);
            }
        }
    }

    /// <param name="sha256">The model file's sha256, for a network loaded at every start (the store's, a user's CNN):
    /// on the CPU it then runs from its optimised copy (<see cref="OptimisedModelCache"/>), made at its first load on
    /// this machine. Optimising at each load took the bundled ResNet18 from 120 to 275 MiB resident for a moment and
    /// 0.9 s, loading the copy takes 0.3 s and no more memory than the model (docs/benchmarks.md). Null: optimised at
    /// each load (the fusion network, small and trained anew by the workflows here).</param>
    public (InferenceSession Session, string Provider) Create(string modelPath, string? sha256 = null)
    {
        ExecutionDevice[] devices;
        lock (gate)
        {
            order ??= [.. Plan.Order];
            devices = [.. order];
        }
        foreach (var device in devices)
        {
            try
            {
                var (session, provider) = Open(device, modelPath, sha256);
                Announce(provider, modelPath);
                return (session, provider);
            }
            catch (OnnxRuntimeException ex) when (device != ExecutionDevice.Cpu)
            {
                // The provider's library loaded (the plan probed it) but the session did not start, e.g. no GPU
                // present: this holds for every model, so the device leaves the run's order, said once.
                var reason = $"{ProviderPlan.Name(device)}: {ex.Message.Split('\n')[0]}";
                if (Options.Device != ExecutionDevice.Auto)
                {
                    throw new ModelException($"{Path.GetFileName(modelPath)}: {reason} (use --device auto to allow falling back to CPU)", ex);
                }
                lock (gate)
                {
                    // Models load on two threads at once (AnalyzerModels): the device's reason is kept once.
                    if (order!.Remove(device))
                    {
                        runtimeReasons.Add(reason);
                    }
                }
            }
            catch (OnnxRuntimeException ex)
            {
                // On the CPU the model itself is at fault (empty, cut, not ONNX): named, with what to do, not a stack trace.
                throw new ModelException($"{modelPath}: not a loadable ONNX model ({ex.Message.Split('\n')[0]}); fetch or train it again", ex);
            }
        }
        throw new ModelException($"{modelPath}: no execution provider could load it");
    }

    private (InferenceSession Session, string Provider) Open(ExecutionDevice device, string modelPath, string? sha256)
    {
        // The native session copies what it needs: the options are released with this attempt, not by a finalizer.
        using var sessionOptions = new SessionOptions();
        sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        var provider = Configure(sessionOptions, device, modelPath);
        if (device != ExecutionDevice.Cpu || sha256 is null || OptimisedCopy(modelPath, sha256) is not { } copy)
        {
            return (new InferenceSession(modelPath, sessionOptions), provider);
        }
        sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;   // done when the copy was made
        try
        {
            return (new InferenceSession(copy, sessionOptions), provider);
        }
        catch (OnnxRuntimeException ex)
        {
            logger.LogWarning("{Copy}: unreadable optimised copy of {Model} ({Reason}); making it again", copy, modelPath, ex.Message.Split('\n')[0]);
            File.Delete(copy);
            if (OptimisedCopy(modelPath, sha256) is { } remade)
            {
                return (new InferenceSession(remade, sessionOptions), provider);
            }
            sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            return (new InferenceSession(modelPath, sessionOptions), provider);
        }
    }

    /// <summary>The model's optimised copy on this machine, made now if there is none; null if none can be kept (said once).</summary>
    private string? OptimisedCopy(string modelPath, string sha256)
    {
        var copy = copies.PathFor(modelPath, sha256);
        if (File.Exists(copy))
        {
            return copy;
        }
        try
        {
            AtomicFile.DeleteLeftovers(copies.Folder);
            AtomicFile.WriteByPath(copy, temp =>
            {
                using var options = new SessionOptions
                {
                    LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    IntraOpNumThreads = 1,
                    OptimizedModelFilePath = temp,
                };
                options.AddSessionConfigEntry("session.save_model_format", "ONNX");
                using var optimising = new InferenceSession(modelPath, options);
            });
            logger.LogInformation("{Model}: optimised for this machine's processor once, kept as {Copy}", Path.GetFileName(modelPath), copy);
            return copy;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lock (gate)
            {
                if (!copiesRefused)
                {
                    logger.LogWarning("Cannot keep optimised copies of the networks in {Folder} ({Reason}): they are optimised at each start instead", copies.Folder, ex.Message);
                    copiesRefused = true;
                }
            }
            return null;
        }
    }

    /// <summary>One information line per run for the provider, one more if it changes; each model's at debug level.</summary>
    private void Announce(string provider, string modelPath)
    {
        lock (gate)
        {
            if (announced != provider)
            {
                var line = Plan.Describe(provider);
                if (runtimeReasons.Count > 0)
                {
                    line += $" (fell back: {string.Join("; ", runtimeReasons)})";
                }
                if (announced is null)
                {
                    logger.LogInformation("{Providers}", line);
                    foreach (var detail in Plan.Details)
                    {
                        logger.LogDebug("{Detail}", detail);
                    }
                }
                else
                {
                    logger.LogWarning("{Providers}", line);
                }
                announced = provider;
            }
        }
        logger.LogDebug("{Model} on {Provider}", Path.GetFileName(modelPath), provider);
    }

    private string Configure(SessionOptions sessionOptions, ExecutionDevice device, string modelPath)
    {
        switch (device)
        {
            case ExecutionDevice.TensorRT:
                var cache = Options.TensorRtCacheFolder;
                var profiles = TensorRtProfiles.For(modelPath);
                using (var trt = new OrtTensorRTProviderOptions())
                {
                    var settings = new Dictionary<string, string>
                    {
                        ["device_id"] = Options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["trt_fp16_enable"] = Options.TensorRtFp16 ? "1" : "0",
                        ["trt_engine_cache_enable"] = cache is null ? "0" : "1",
                    };
                    if (cache is not null)
                    {
                        settings["trt_engine_cache_path"] = cache;
                    }
                    if (profiles is { } p)
                    {
                        (settings["trt_profile_min_shapes"], settings["trt_profile_opt_shapes"], settings["trt_profile_max_shapes"]) = p;
                    }
                    trt.UpdateOptions(settings);
                    sessionOptions.AppendExecutionProvider_Tensorrt(trt);
                }
                // Nodes TensorRT cannot take run on CUDA rather than CPU.
                sessionOptions.AppendExecutionProvider_CUDA(Options.DeviceId);
                return ProviderPlan.ProviderName(device);
            case ExecutionDevice.Cuda:
                sessionOptions.AppendExecutionProvider_CUDA(Options.DeviceId);
                return ProviderPlan.ProviderName(device);
            default:
                sessionOptions.IntraOpNumThreads = Options.IntraOpThreads > 0 ? Options.IntraOpThreads : DefaultCpuThreads;
                sessionOptions.InterOpNumThreads = 1;
                // Spinning worker threads would steal the cores ffmpeg decodes on; they sleep between calls instead.
                sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                sessionOptions.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
                // A memory pattern is a block planned per input shape and kept: measured 60-110 MiB less at peak
                // without, no slower (docs/benchmarks.md, "Memory: what the networks keep").
                sessionOptions.EnableMemoryPattern = false;
                SharedCpuArena.Use(sessionOptions);
                return ProviderPlan.ProviderName(ExecutionDevice.Cpu);
        }
    }
}
