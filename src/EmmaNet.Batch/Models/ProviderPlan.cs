using System.Runtime.InteropServices;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>
/// Which execution providers a run will try, decided once per run before any model loads: the build's native ONNX
/// Runtime lists what it was compiled with, and each GPU provider is probed (its library loaded by appending it to
/// a throwaway session options) so that a missing CUDA or TensorRT library is found once, named, and said in one
/// line, not once per model.
/// </summary>
public sealed class ProviderPlan
{
    // What ONNX Runtime 1.31.0's GPU package links against (readelf -d of its provider libraries), plus cuDNN, which
    // the CUDA provider opens when a session starts. Used only to name what is missing when a probe fails.
    private static readonly string[] CudaLibraries = ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];
    private static readonly string[] TensorRtLibraries = ["libnvinfer.so.10", "libnvonnxparser.so.10"];

    private ProviderPlan(bool gpuBuild, IReadOnlyList<ExecutionDevice> order, IReadOnlyList<string> reasons, IReadOnlyList<string> details)
    {
        GpuBuild = gpuBuild;
        Order = order;
        Reasons = reasons;
        Details = details;
    }

    /// <summary>Whether the native library is the GPU package's (it lists the CUDA provider).</summary>
    public bool GpuBuild { get; }

    /// <summary>The devices to try, best first; never empty (CPU is always last).</summary>
    public IReadOnlyList<ExecutionDevice> Order { get; }

    /// <summary>Why each better device was left out (empty when the first choice is available); said on the GPU build only.</summary>
    public IReadOnlyList<string> Reasons { get; }

    /// <summary>ONNX Runtime's own words for each probe that failed (for --verbose).</summary>
    public IReadOnlyList<string> Details { get; }

    /// <summary>The run's one start-up line, e.g. "CPU build: CPUExecutionProvider".</summary>
    public string Describe(string providerUsed)
    {
        var build = GpuBuild ? "GPU build" : "CPU build";
        return Reasons.Count == 0 || !GpuBuild ? $"{build}: {providerUsed}" : $"{build}: {providerUsed} ({string.Join("; ", Reasons)})";
    }

    /// <summary>
    /// Decides the plan for <paramref name="requested"/>. An explicit GPU device that cannot load throws a
    /// <see cref="ModelException"/> naming what is missing; <c>Auto</c> drops what cannot load and says why.
    /// </summary>
    public static ProviderPlan Resolve(ExecutionDevice requested, int deviceId)
    {
        OrtEnvironment.Ensure();
        var available = OrtEnv.Instance().GetAvailableProviders();
        var gpuBuild = available.Contains("CUDAExecutionProvider");
        if (requested == ExecutionDevice.Cpu)
        {
            return new ProviderPlan(gpuBuild, [ExecutionDevice.Cpu], [], []);
        }
        var candidates = requested == ExecutionDevice.Auto ? new[] { ExecutionDevice.TensorRT, ExecutionDevice.Cuda } : [requested];
        var order = new List<ExecutionDevice>();
        var reasons = new List<string>();
        var details = new List<string>();
        foreach (var device in candidates)
        {
            var (problem, detail) = gpuBuild ? Probe(device, deviceId, available) : ("this is the CPU build (ONNX Runtime's CPU package; build with -p:EmmaNetGpu=true)", null);
            if (detail is not null)
            {
                details.Add($"{Name(device)}: {detail}");
            }
            if (problem is null)
            {
                order.Add(device);
            }
            else if (requested != ExecutionDevice.Auto)
            {
                throw new ModelException($"--device {requested.ToString().ToLowerInvariant()}: {problem} (use --device auto to fall back to CPU)");
            }
            else
            {
                reasons.Add($"{Name(device)}: {problem}");
            }
        }
        order.Add(ExecutionDevice.Cpu);
        return new ProviderPlan(gpuBuild, order, reasons, details);
    }

    /// <summary>ONNX Runtime's name for the device's provider, as written into output metadata.</summary>
    public static string ProviderName(ExecutionDevice device) => device switch
    {
        ExecutionDevice.TensorRT => "TensorrtExecutionProvider",
        ExecutionDevice.Cuda => "CUDAExecutionProvider",
        _ => "CPUExecutionProvider",
    };

    /// <summary>The device's name in messages.</summary>
    public static string Name(ExecutionDevice device) => device switch
    {
        ExecutionDevice.TensorRT => "TensorRT",
        ExecutionDevice.Cuda => "CUDA",
        _ => "CPU",
    };

    /// <summary>Null when the device's provider library loads; otherwise what is missing, in a few words.</summary>
    private static (string? Problem, string? Detail) Probe(ExecutionDevice device, int deviceId, string[] available)
    {
        if (device == ExecutionDevice.TensorRT && !available.Contains("TensorrtExecutionProvider"))
        {
            return ("not in this ONNX Runtime build", null);
        }
        using var options = new SessionOptions();
        try
        {
            if (device == ExecutionDevice.TensorRT)
            {
                using var trt = new OrtTensorRTProviderOptions();
                trt.UpdateOptions(new Dictionary<string, string> { ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                options.AppendExecutionProvider_Tensorrt(trt);
            }
            else
            {
                options.AppendExecutionProvider_CUDA(deviceId);
            }
            return (null, null);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            var needed = device == ExecutionDevice.TensorRT ? CudaLibraries.Concat(TensorRtLibraries) : CudaLibraries;
            var missing = needed.Where(library => !NativeLibrary.TryLoad(library, out _)).ToList();
            var problem = missing.Count > 0
                ? $"missing {string.Join(", ", missing)} ({(device == ExecutionDevice.TensorRT ? "TensorRT 10 on " : "")}CUDA 13 and cuDNN 9 with the NVIDIA driver)"
                : ex.Message.Split('\n')[0];
            return (problem, ex.Message);
        }
    }
}

/// <summary>ONNX Runtime's process-wide environment, with its own console logging quiet.</summary>
public static class OrtEnvironment
{
    /// <summary>The environment, its native logger set to fatal messages only.</summary>
    public static OrtEnv Ensure()
    {
        // The native logger writes every failed provider load to stderr in colour; those failures come back as
        // exceptions that the plan turns into one line, so only fatal native messages are let through.
        var env = OrtEnv.Instance();
        if (env.EnvLogLevel != OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL)
        {
            env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        }
        return env;
    }
}
