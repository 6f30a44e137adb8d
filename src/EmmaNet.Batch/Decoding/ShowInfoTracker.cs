using System.Globalization;
using System.Threading.Channels;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Reads the two <c>showinfo</c> filters of the decode graph from ffmpeg's stderr: <c>showinfo@all</c> sees every
/// decoded frame (so its running count is the frame index), <c>showinfo@sel</c> sees the frames the tick selector kept.
/// Matching a kept frame's pts to the all-frames log gives its original frame index, even at variable frame rate.
/// </summary>
internal sealed class ShowInfoTracker
{
    private readonly Queue<(long Pts, long Index)> _recent = new();
    private readonly Channel<(long Index, double Time)> _selected = Channel.CreateUnbounded<(long, double)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _allCount;

    /// <summary>Bound on remembered frames between two kept ones (a kept frame comes at least every second on any sane input).</summary>
    private const int MaxPending = 4096;

    /// <summary>Frames decoded so far (all of them, kept or not).</summary>
    public long DecodedFrames => Interlocked.Read(ref _allCount);

    /// <summary>The furthest byte of the file a decoded frame came from (its packet's position; -1 when ffmpeg does not say).</summary>
    public long LastBytePosition { get; private set; } = -1;

    /// <summary>Presentation time of the last decoded frame, in seconds.</summary>
    public double LastTimestamp { get; private set; }

    public void OnLine(string line)
    {
        var all = line.StartsWith("[showinfo@all", StringComparison.Ordinal);
        if (!all && !line.StartsWith("[showinfo@sel", StringComparison.Ordinal))
        {
            return;
        }
        if (!TryField(line, " pts:", out var ptsText) || !long.TryParse(ptsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pts) ||
            !TryField(line, "pts_time:", out var timeText) || !double.TryParse(timeText, NumberStyles.Float, CultureInfo.InvariantCulture, out var time))
        {
            return;
        }

        if (all)
        {
            var index = Interlocked.Increment(ref _allCount) - 1;
            LastTimestamp = time;
            if (TryField(line, " pos:", out var posText) && long.TryParse(posText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pos) && pos > LastBytePosition)
            {
                LastBytePosition = pos;
            }
            _recent.Enqueue((pts, index));
            if (_recent.Count > MaxPending)
            {
                _recent.Dequeue();
            }
            return;
        }

        var found = -1L;
        while (_recent.TryDequeue(out var entry))
        {
            if (entry.Pts == pts)
            {
                found = entry.Index;
                break;
            }
        }
        // Not found only when timestamps went backwards in a damaged stream: fall back to the newest decoded index.
        _selected.Writer.TryWrite((found >= 0 ? found : DecodedFrames - 1, time));
    }

    /// <summary>ffmpeg's stderr has ended: a wait for a kept frame's line ends at once (ChannelClosedException) instead of timing out.</summary>
    public void Complete() => _selected.Writer.TryComplete();

    public ValueTask<(long Index, double Time)> NextSelectedAsync(CancellationToken cancellationToken) =>
        _selected.Reader.ReadAsync(cancellationToken);

    private static bool TryField(string line, string key, out string value)
    {
        var start = line.IndexOf(key, StringComparison.Ordinal);
        value = "";
        if (start < 0)
        {
            return false;
        }
        start += key.Length;
        while (start < line.Length && line[start] == ' ')
        {
            start++;
        }
        var end = line.IndexOf(' ', start);
        value = end < 0 ? line[start..] : line[start..end];
        return value.Length > 0;
    }
}
