using EmmaNet.Batch.Decoding;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// How many decoded frames hold their pixels at once in one run, from before the decoder rents a frame's buffer to the
/// last network that reads them: the decoder takes a place before it reads a frame and the frame gives it back when
/// its pixels are released. Without it the frames in flight were bounded only by the queues and the batches of every stage
/// (up to about 60 at 720p, 2.6 MB each), and the frame pool kept as many as ever were out at once.
/// </summary>
public sealed class FrameBudget : IFrameRoom, IDisposable
{
    private readonly SemaphoreSlim _free;
    private int _overdrawn;
    private int _letPast;

    /// <param name="patience">
    /// A frame that is never given back (a bug) must not stall a run: after this long without one coming back, one
    /// more frame is let in beyond the budget (default 10 s).
    /// </param>
    public FrameBudget(int frames, TimeSpan? patience = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        Frames = frames;
        Patience = patience ?? TimeSpan.FromSeconds(10);
        _free = new SemaphoreSlim(frames, frames);
    }

    public int Frames { get; }

    /// <summary>How long a frame waits for a place before it is let in beyond the budget.</summary>
    public TimeSpan Patience { get; }

    /// <summary>Frames let in beyond the budget and not yet given back.</summary>
    public int Overdrawn => Volatile.Read(ref _overdrawn);

    /// <summary>Frames ever let in beyond the budget because none came back within the patience (0 unless a frame was lost).</summary>
    public int LetPast => Volatile.Read(ref _letPast);

    /// <summary>Waits until a frame may go in, or the patience runs out.</summary>
    public async Task TakeAsync(CancellationToken cancellationToken)
    {
        if (!await _free.WaitAsync(Patience, cancellationToken))
        {
            Interlocked.Increment(ref _overdrawn);
            Interlocked.Increment(ref _letPast);
        }
    }

    /// <summary>A frame's pixels went back.</summary>
    public void Give()
    {
        // An overdrawn frame's return settles the overdraft instead of freeing a place beyond the budget.
        var overdrawn = Volatile.Read(ref _overdrawn);
        while (overdrawn > 0)
        {
            var seen = Interlocked.CompareExchange(ref _overdrawn, overdrawn - 1, overdrawn);
            if (seen == overdrawn)
            {
                return;
            }
            overdrawn = seen;
        }
        _free.Release();
    }

    public void Dispose() => _free.Dispose();
}
