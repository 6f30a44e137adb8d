using System.Runtime;

namespace EmmaNet.Batch;

/// <summary>
/// The collector left to itself lets its heap grow between full collections in proportion to what survives them, and
/// leaves the large-object heap (frames, network inputs) fragmented: through a 10-minute many-face video resident
/// memory climbed 397 -> 437-449 MiB while native memory stayed flat. A full collection that also compacts the
/// large-object heap every 20 s took the 30-minute peak from 535 to 504 MiB and the 10-minute one from 461-462 to
/// 440-464 (mean of five 450), no slower (docs/benchmarks.md).
/// </summary>
public static class ManagedHeap
{
    /// <summary>While the returned timer lives, a blocking full collection compacting the large-object heap runs every <paramref name="period"/>.</summary>
    public static IDisposable CompactEvery(TimeSpan period) => new Timer(
        static _ =>
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        },
        null, period, period);
}
