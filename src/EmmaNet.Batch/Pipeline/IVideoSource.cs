using EmmaNet.Batch.Decoding;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>Where the pipeline gets a video's facts and frames. <see cref="FfmpegVideoSource"/> is the real one.</summary>
public interface IVideoSource
{
    Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Frames at the sampling's tick rate; <paramref name="ended"/> is told, at the end, how far decoding got. Each
    /// frame holds a place of <paramref name="room"/>, taken before its pixels are made and given back when they are
    /// disposed.
    /// </summary>
    IAsyncEnumerable<VideoFrame> ReadFramesAsync(MediaInfo media, FrameSampling sampling, Action<DecodeEnd> ended, IFrameRoom room, CancellationToken cancellationToken);
}

/// <summary>How far a video's decoding got: every frame decoded (kept or not), and the furthest byte of the file they came from (-1: unknown).</summary>
public readonly record struct DecodeEnd(long Frames, long LastBytePosition);

/// <summary>ffprobe (through FFMpegCore) and ffmpeg; with <paramref name="hardwareDecoder"/>, ffmpeg decodes with that <c>-hwaccel</c> method (check it first with <see cref="HardwareDecoding.Check"/>).</summary>
public sealed class FfmpegVideoSource(string? hardwareDecoder = null) : IVideoSource
{
    /// <summary>
    /// ffmpeg on the CPU (<c>none</c>), or with the hardware decoder named once it is checked to work here (said in the
    /// log); otherwise null, with the error logged (never a silent fall back to the CPU).
    /// </summary>
    public static FfmpegVideoSource? For(string hardwareDecoder, ILogger logger)
    {
        if (hardwareDecoder == "none")
        {
            return new FfmpegVideoSource();
        }
        if (HardwareDecoding.Check(hardwareDecoder) is { } reason)
        {
            logger.LogError("--hwaccel {Method}: hardware decoding is not available here ({Reason}); run without --hwaccel to decode on the CPU", hardwareDecoder, reason);
            return null;
        }
        logger.LogInformation("Decoding video with ffmpeg -hwaccel {Method}", hardwareDecoder);
        return new FfmpegVideoSource(hardwareDecoder);
    }

    public Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken) => MediaProber.ProbeAsync(path, cancellationToken);

    public async IAsyncEnumerable<VideoFrame> ReadFramesAsync(MediaInfo media, FrameSampling sampling, Action<DecodeEnd> ended, IFrameRoom room, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = new VideoFrameReader(media, sampling, hardwareDecoder);
        await foreach (var frame in reader.ReadAsync(room, cancellationToken))
        {
            yield return frame;
        }
        ended(new DecodeEnd(reader.DecodedFrames, reader.LastBytePosition));
    }
}
