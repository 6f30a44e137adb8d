using System.Collections.Concurrent;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Frame buffers of exactly one frame's size, kept for reuse up to <see cref="MaxRetained"/> in all. The shared
/// ArrayPool keeps up to 32 arrays per size per core plus one per thread, and frames are rented on decoder threads but
/// returned on a network's thread, so over a long run it filled up to hundreds of MB; a pool created with
/// ArrayPool.Create rounds sizes up to a power of two (a 1280x720 frame's 2.6 MiB takes 4 MiB).
/// </summary>
internal static class FrameBufferPool
{
    /// <summary>More than the pipeline holds at once with its default queues (decode queue, a detector batch, two a network stage).</summary>
    public const int MaxRetained = 48;

    private static readonly ConcurrentDictionary<int, ConcurrentBag<byte[]>> Free = new();
    private static int _retained;

    public static byte[] Rent(int length)
    {
        if (Free.TryGetValue(length, out var bag) && bag.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _retained);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(length);
    }

    public static void Return(byte[] buffer)
    {
        if (Interlocked.Increment(ref _retained) > MaxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;   // left to the collector
        }
        Free.GetOrAdd(buffer.Length, _ => new ConcurrentBag<byte[]>()).Add(buffer);
    }
}
