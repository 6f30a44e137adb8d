using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>
/// One ONNX Runtime CPU arena for every session of the process instead of one each. A session's own arena keeps the
/// largest activations it ever held, so nine networks kept nine peaks; sharing one keeps what the networks running at
/// once need. Measured on a minute of the many-face sample, memory patterns off in both: 533 -> 463-471 MiB at peak
/// (docs/benchmarks.md).
/// </summary>
internal static class SharedCpuArena
{
    /// <summary>ONNX Runtime's kSameAsRequested: the arena grows by what a tensor asks, not to the next power of two.</summary>
    private const int ExtendBySameAsRequested = 1;

    private static readonly Lazy<bool> Registered = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes <paramref name="options"/> (a CPU session's) allocate from the process's one arena.</summary>
    public static void Use(SessionOptions options)
    {
        _ = Registered.Value;
        options.AddSessionConfigEntry("session.use_env_allocators", "1");
    }

    private static bool Register()
    {
        using var memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
        using var arena = new OrtArenaCfg(0, ExtendBySameAsRequested, -1, -1);
        OrtEnv.Instance().CreateAndRegisterAllocator(memory, arena);
        return true;
    }
}
