using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Streams the frames of one video at a tick rate through ffmpeg's stdout (raw BGR24). ffmpeg selects, scales and
/// converts only the kept frames; frames are handed out through a small bounded channel, so memory does not grow
/// with the video's length and ffmpeg waits while the consumer is busy.
/// </summary>
public sealed class VideoFrameReader
{
    private readonly MediaInfo _media;
    private readonly FrameSampling _sampling;
    private readonly ShowInfoTracker _tracker = new();

    private readonly string? _hardwareDecoder;

    /// <param name="hardwareDecoder">An ffmpeg <c>-hwaccel</c> method (e.g. <c>cuda</c>), or null to decode on the CPU; frames come back to system memory either way.</param>
    public VideoFrameReader(MediaInfo media, FrameSampling sampling, string? hardwareDecoder = null)
    {
        _media = media;
        _sampling = sampling;
        _hardwareDecoder = hardwareDecoder;
        (OutputWidth, OutputHeight) = sampling.OutputSize(media.Width, media.Height);
    }

    public int OutputWidth { get; }

    /// <summary>
    /// Threads ffmpeg decodes with: the half of the cores the networks leave (SessionFactory gives each ONNX Runtime
    /// session the other half). ffmpeg's default takes every core; in a pipeline whose networks keep all cores busy
    /// that bought no speed and cost its ffmpeg 20-21% of the cores against 18-19% (docs/decisions.md).
    /// </summary>
    public static int DecoderThreads => Math.Max(1, Environment.ProcessorCount - Environment.ProcessorCount / 2);

    /// <summary>ffmpeg's input options: the decoder's threads, and the hardware decoder when one is asked for.</summary>
    public IReadOnlyList<string> InputArguments =>
        ["-threads", DecoderThreads.ToString(CultureInfo.InvariantCulture), .. _hardwareDecoder is null ? [] : new[] { "-hwaccel", _hardwareDecoder }];

    public int OutputHeight { get; }

    /// <summary>All frames ffmpeg decoded so far, kept or not: after enumeration, the video's frame count.</summary>
    public long DecodedFrames => _tracker.DecodedFrames;

    /// <summary>The furthest byte position a decoded frame's packet came from (-1: unknown).</summary>
    public long LastBytePosition => _tracker.LastBytePosition;

    /// <summary>Seconds between the first and the last decoded frame.</summary>
    public double LastTimestamp => _tracker.LastTimestamp;

    /// <summary>The video filter graph (exposed so tests can check the exact command without running ffmpeg).</summary>
    public string FilterGraph =>
        "setpts=PTS-STARTPTS," +
        "showinfo@all=checksum=0," +
        $"select='{_sampling.SelectExpression(_media.FrameRate)}'," +
        "showinfo@sel=checksum=0," +
        string.Create(CultureInfo.InvariantCulture, $"scale={OutputWidth}:{OutputHeight}:flags=area,format=bgr24");

    /// <summary>ffmpeg's output arguments: video only, the filter graph, one output frame per kept frame, raw BGR24.</summary>
    public IReadOnlyList<string> OutputArguments =>
        ["-an", "-sn", "-dn", "-vf", FilterGraph, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24"];

    public IAsyncEnumerable<VideoFrame> ReadAsync(CancellationToken cancellationToken = default) => ReadAsync(null, cancellationToken);

    /// <param name="room">When given, a place is taken before each frame's buffer is rented, and the frame gives it back when disposed.</param>
    public async IAsyncEnumerable<VideoFrame> ReadAsync(IFrameRoom? room, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var frames = Channel.CreateBounded<VideoFrame>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var decode = RunDecoderAsync(frames.Writer, room, stop.Token);
        try
        {
            await foreach (var frame in frames.Reader.ReadAllAsync(cancellationToken))
            {
                yield return frame;
            }
        }
        finally
        {
            // The consumer stopped early or failed: stop ffmpeg and release frames still queued.
            stop.Cancel();
            while (frames.Reader.TryRead(out var left))
            {
                left.Dispose();
            }
            try
            {
                await decode;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
        await decode;
    }

    private async Task RunDecoderAsync(ChannelWriter<VideoFrame> writer, IFrameRoom? room, CancellationToken cancellationToken)
    {
        try
        {
            await FfmpegProcess.RunAsync(_media.Path, OutputArguments, (stream, ct) => PumpFramesAsync(stream, writer, room, ct), _tracker.OnLine, cancellationToken, InputArguments, _tracker.Complete);
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    private async Task PumpFramesAsync(Stream stream, ChannelWriter<VideoFrame> writer, IFrameRoom? room, CancellationToken cancellationToken)
    {
        var frameBytes = OutputWidth * OutputHeight * 3;
        while (true)
        {
            if (room is not null)
            {
                await room.TakeAsync(cancellationToken);
            }
            var buffer = VideoFrame.RentBuffer(OutputWidth, OutputHeight);
            VideoFrame? frame = null;
            try
            {
                var read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, frameBytes), frameBytes, throwOnEndOfStream: false, cancellationToken);
                if (read == 0)
                {
                    VideoFrame.ReturnBuffer(buffer);
                    room?.Give();
                    return;
                }
                if (read < frameBytes)
                {
                    throw new MediaException(_media.Path, $"ffmpeg output ended inside a frame ({read} of {frameBytes} bytes)");
                }
                var (index, time) = await NextTimestampAsync(cancellationToken);
                // Ownership passes to the channel's reader (disposed below if the write fails): CA2000 cannot follow that.
#pragma warning disable CA2000
                frame = new VideoFrame(buffer, OutputWidth, OutputHeight, index, time, room);
#pragma warning restore CA2000
                await writer.WriteAsync(frame, cancellationToken);
            }
            catch
            {
                if (frame is null)
                {
                    VideoFrame.ReturnBuffer(buffer);
                    room?.Give();
                }
                else
                {
                    frame.Dispose();
                }
                throw;
            }
        }
    }

    /// <summary>The kept frame's index and time, logged by showinfo just before ffmpeg writes the frame itself.</summary>
    private async Task<(long Index, double Time)> NextTimestampAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await _tracker.NextSelectedAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MediaException(_media.Path, "ffmpeg did not report the timestamp of a decoded frame");
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            throw new MediaException(_media.Path, "ffmpeg ended before reporting the timestamp of a decoded frame");
        }
    }
}
