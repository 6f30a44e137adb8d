using System.Runtime.InteropServices;

namespace EmmaNet.Batch;

/// <summary>
/// glibc's malloc gives each thread that allocates at once an arena of its own, up to 8 per core, and keeps what is
/// freed there. ONNX Runtime allocates its tensors with malloc from every network's thread, so each frame network
/// stage grew an arena of 32-64 MB. Two arenas are enough for two threads allocating at once and measured 64 MB less
/// at peak on a minute of the many-face sample (docs/benchmarks.md); the same as <c>MALLOC_ARENA_MAX=2</c>, which
/// still wins when set. <see cref="TrimEvery"/> hands what the arenas hold free back to the system while a run goes.
/// </summary>
public static partial class MallocArenas
{
    public const int Count = 2;

    private const int ArenaMax = -8;   // M_ARENA_MAX

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>
    /// While the returned timer lives, glibc's free memory (in every arena, not only the heap's top) is returned to
    /// the system every <paramref name="period"/>. The networks free their activations between calls, and glibc would
    /// otherwise keep those pages resident: measured 15-80 MiB less at peak on a minute of the many-face sample, a
    /// trim taking under 4 ms (docs/benchmarks.md). Null off Linux or off glibc.
    /// </summary>
    public static IDisposable? TrimEvery(TimeSpan period)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;   // not glibc
        }
        return new Timer(static _ => { _ = MallocTrim(0); }, null, period, period);
    }

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
