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
    private static volatile bool _draining;

    public static byte[] Rent(int length)
    {
        _draining = false;
        if (Free.TryGetValue(length, out var bag) && bag.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _retained);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(length);
    }

    public static void Return(byte[] buffer)
    {
        if (_draining)
        {
            return;   // left to the collector
        }
        if (Interlocked.Increment(ref _retained) > MaxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;   // left to the collector
        }
        Free.GetOrAdd(buffer.Length, _ => new ConcurrentBag<byte[]>()).Add(buffer);
    }

    /// <summary>
    /// Decoding is over (until the next <see cref="Rent"/>): the buffers kept and those given back from now on are left
    /// to the collector, so a run's last video is fused and written without a decoder's worth of idle frames
    /// (16 frames of 720p, 44 MB).
    /// </summary>
    public static void Drain()
    {
        _draining = true;
        foreach (var bag in Free.Values)
        {
            while (bag.TryTake(out _))
            {
                Interlocked.Decrement(ref _retained);
            }
        }
    }
}
