using System.Globalization;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Which frames to decode: the frame nearest each tick of a <see cref="RateHz"/> grid (EMMA-NET.md section 1),
/// scaled down so the longer side is at most <see cref="MaxSide"/> (bounds memory on 4K input; detectors work far below it).
/// </summary>
public sealed record FrameSampling(double RateHz, int MaxSide = 1920)
{
    /// <summary>The face stream: 6 Hz.</summary>
    public static FrameSampling FaceStream { get; } = new(6);

    /// <summary>The audio/pose stream: 2 Hz.</summary>
    public static FrameSampling ContextStream { get; } = new(2);

    /// <summary>
    /// ffmpeg <c>select</c> expression keeping the first frame at or after (tick - half a frame interval), for each tick:
    /// at a constant rate that is exactly the nearest frame; at a variable rate it is within one frame of it.
    /// Uses only the current and previous timestamps, so it streams.
    /// </summary>
    public string SelectExpression(double averageFrameRate)
    {
        var half = averageFrameRate > 0 ? 0.5 / averageFrameRate : 0;
        var h = half.ToString("0.########", CultureInfo.InvariantCulture);
        var r = RateHz.ToString("0.########", CultureInfo.InvariantCulture);
        return $"isnan(prev_t)+gt(floor((t+{h})*{r}),floor((prev_t+{h})*{r}))";
    }

    /// <summary>Output size for a displayed size: scaled down to <see cref="MaxSide"/>, aspect kept, never below 1 pixel.</summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        var longer = Math.Max(width, height);
        if (longer <= MaxSide)
        {
            return (width, height);
        }
        var scale = (double)MaxSide / longer;
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
