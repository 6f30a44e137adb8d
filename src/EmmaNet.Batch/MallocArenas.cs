using System.Runtime.InteropServices;

namespace EmmaNet.Batch;

/// <summary>
/// glibc's malloc gives each thread that allocates at once an arena of its own, up to 8 per core, and keeps what is
/// freed there. ONNX Runtime allocates its tensors with malloc from every network's thread, so each frame network
/// stage grew an arena of 32-64 MB. Two arenas are enough for two threads allocating at once and measured 64 MB less
/// at peak on a minute of the many-face sample (docs/benchmarks.md); the same as <c>MALLOC_ARENA_MAX=2</c>, which
/// still wins when set.
/// </summary>
public static partial class MallocArenas
{
    public const int Count = 2;

    private const int ArenaMax = -8;   // M_ARENA_MAX

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    /// <summary>Call once, first thing, before other threads allocate. Whether the limit was set (false off glibc).</summary>
    public static bool Limit()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return false;
        }
        try
        {
            return MallOpt(ArenaMax, Count) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;   // not glibc (musl has no arenas to limit)
        }
    }
}
