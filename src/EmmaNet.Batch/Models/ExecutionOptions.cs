namespace EmmaNet.Batch.Models;

/// <summary>Where networks run. <c>Auto</c> tries TensorRT, then CUDA, then CPU, logging each fallback.</summary>
public enum ExecutionDevice
{
    Auto,
    Cpu,
    Cuda,
    TensorRT,
}

/// <param name="Device">Requested device; anything but <c>Auto</c> fails rather than falls back.</param>
/// <param name="DeviceId">GPU index for CUDA/TensorRT.</param>
/// <param name="IntraOpThreads">ONNX Runtime threads per session on CPU; 0 means <see cref="SessionFactory.DefaultCpuThreads"/>.</param>
/// <param name="TensorRtCacheFolder">TensorRT engine cache (building engines takes minutes; the cache makes it once per model and GPU).</param>
/// <param name="TensorRtFp16">Let TensorRT use FP16 kernels.</param>
/// <param name="OptimisedModelFolder">Where the CPU's optimised copies of the networks are kept; null means <see cref="OptimisedModelCache.DefaultFolder"/>.</param>
public sealed record ExecutionOptions(
    ExecutionDevice Device = ExecutionDevice.Auto,
    int DeviceId = 0,
    int IntraOpThreads = 0,
    string? TensorRtCacheFolder = null,
    bool TensorRtFp16 = false,
    string? OptimisedModelFolder = null);
