using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>
/// The one place that decides where a network runs. Providers are tried in order (TensorRT, CUDA, CPU for
/// <see cref="ExecutionDevice.Auto"/>); each fallback is logged with its reason, and the provider actually used
/// is returned so it can be written into output metadata. The CPU build's native library has no CUDA entry
/// points: asking for CUDA there raises <see cref="EntryPointNotFoundException"/>, which is such a reason.
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

    public (InferenceSession Session, string Provider) Create(string modelPath)
    {
        var order = Options.Device switch
        {
            ExecutionDevice.Auto => new[] { ExecutionDevice.TensorRT, ExecutionDevice.Cuda, ExecutionDevice.Cpu },
            var d => new[] { d },
        };
        var reasons = new List<string>();
        foreach (var device in order)
        {
            var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            try
            {
                var provider = Configure(sessionOptions, device, modelPath);
                var session = new InferenceSession(modelPath, sessionOptions);
                // The native session copied what it needs; release the options now rather than to a finalizer.
                sessionOptions.Dispose();
                if (reasons.Count > 0)
                {
                    logger.LogWarning("{Model}: running on {Provider} after fallback ({Reasons})", Path.GetFileName(modelPath), provider, string.Join("; ", reasons));
                }
                return (session, provider);
            }
            catch (Exception ex) when (device != ExecutionDevice.Cpu && ex is EntryPointNotFoundException or OnnxRuntimeException or DllNotFoundException or DirectoryNotFoundException)
            {
                sessionOptions.Dispose();
                var reason = $"{device} unavailable: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}";
                if (Options.Device != ExecutionDevice.Auto)
                {
                    throw new ModelException($"{Path.GetFileName(modelPath)}: {reason} (use --device auto to allow falling back to CPU)", ex);
                }
                reasons.Add(reason);
            }
            catch
            {
                sessionOptions.Dispose();
                throw;
            }
        }
        throw new ModelException($"{modelPath}: no execution provider could load it");
    }

    private string Configure(SessionOptions sessionOptions, ExecutionDevice device, string modelPath)
    {
        switch (device)
        {
            case ExecutionDevice.TensorRT:
                var cache = Options.TensorRtCacheFolder;
                if (cache is not null && !Directory.Exists(cache))
                {
                    throw new DirectoryNotFoundException($"TensorRT engine cache folder {cache} does not exist: create it or pass another with --trt-cache");
                }
                // Parsing the model for its profiles is only worth it where TensorRT can load it (with the CPU package,
                // appending the provider below fails and the reason is logged as before).
                var profiles = OrtEnv.Instance().GetAvailableProviders().Contains("TensorrtExecutionProvider") ? TensorRtProfiles.For(modelPath) : null;
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
                return "TensorrtExecutionProvider";
            case ExecutionDevice.Cuda:
                sessionOptions.AppendExecutionProvider_CUDA(Options.DeviceId);
                return "CUDAExecutionProvider";
            default:
                sessionOptions.IntraOpNumThreads = Options.IntraOpThreads > 0 ? Options.IntraOpThreads : DefaultCpuThreads;
                sessionOptions.InterOpNumThreads = 1;
                // Spinning worker threads would steal the cores ffmpeg decodes on; they sleep between calls instead.
                sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                sessionOptions.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
                return "CPUExecutionProvider";
        }
    }
}
