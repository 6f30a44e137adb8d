namespace EmmaNet.Batch.Decoding;

/// <summary>What ffprobe says about a file, reduced to what the analyzer needs.</summary>
/// <param name="Width">Displayed width (after applying <paramref name="Rotation"/>).</param>
/// <param name="Height">Displayed height (after applying <paramref name="Rotation"/>).</param>
/// <param name="FrameRate">Average frame rate; 0 when the container does not say.</param>
/// <param name="Rotation">Rotation metadata in degrees; ffmpeg applies it while decoding.</param>
/// <param name="VideoDuration">The video stream's own duration (the container's can be longer, e.g. audio padding); the timeline follows it.</param>
public sealed record MediaInfo(
    string Path,
    TimeSpan Duration,
    int Width,
    int Height,
    double FrameRate,
    int Rotation,
    string VideoCodec,
    bool HasAudio,
    int AudioSampleRate,
    TimeSpan VideoDuration)
{
    public bool IsRotatedSideways => Math.Abs(Rotation) % 180 == 90;
}
