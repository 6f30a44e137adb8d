using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Decoding;

[Collection(ClipsCollection.Name)]
public sealed class VideoFrameReaderTests(GeneratedClips clips)
{
    private static async Task<List<(long Index, double Time, int W, int H)>> ReadAll(string path, FrameSampling sampling)
    {
        var media = await MediaProber.ProbeAsync(path, CancellationToken.None);
        var result = new List<(long, double, int, int)>();
        await foreach (var frame in new VideoFrameReader(media, sampling).ReadAsync())
        {
            using (frame)
            {
                result.Add((frame.FrameIndex, frame.Timestamp, frame.Width, frame.Height));
            }
        }
        return result;
    }

    [Fact]
    public async Task Frames_come_through_a_pipe_of_1_mib()
    {
        // Linux's default 64 KiB pipe took 42 reads (and as many wake-ups of ffmpeg) per 720p frame.
        int? capacity = null;
        await FfmpegProcess.RunAsync(clips.Cfr30, ["-an", "-f", "rawvideo", "-pix_fmt", "gray"], async (stream, ct) =>
        {
            capacity = FfmpegProcess.Capacity(stream);
            await stream.CopyToAsync(Stream.Null, ct);
        }, null, CancellationToken.None);
        Assert.Equal(1 << 20, capacity);
    }

    [Fact(Timeout = 10000)]
    public async Task A_wait_for_a_frames_timestamp_ends_at_once_when_ffmpeg_stderr_ends()
    {
        // ffmpeg dying mid-stream used to leave the reader waiting 30 s for a showinfo line that never comes.
        var tracker = new ShowInfoTracker();
        tracker.OnLine("[showinfo@sel @ 0x1] n:   0 pts:      0 pts_time:0       duration:512 pos:48 fmt:bgr24");
        tracker.Complete();
        Assert.Equal((-1L, 0.0), await tracker.NextSelectedAsync(CancellationToken.None));   // a line seen before the end is still read
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(async () => await tracker.NextSelectedAsync(CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    /// <summary>Three places; counts what is taken, the most ever out, and complains if one is given back twice.</summary>
    private sealed class CountingRoom : IFrameRoom
    {
        private readonly SemaphoreSlim _free = new(3, 3);
        private int _out;

        public int MostOut { get; private set; }

        public int Out => Volatile.Read(ref _out);

        public async Task TakeAsync(CancellationToken cancellationToken)
        {
            await _free.WaitAsync(cancellationToken);
            MostOut = Math.Max(MostOut, Interlocked.Increment(ref _out));
        }

        public void Give()
        {
            Interlocked.Decrement(ref _out);
            _free.Release();   // throws SemaphoreFullException on a second give
        }
    }

    [Fact]
    public async Task The_reader_takes_a_place_before_each_frame_and_the_frame_gives_it_back()
    {
        var media = await MediaProber.ProbeAsync(clips.Cfr30, CancellationToken.None);
        var room = new CountingRoom();
        var held = new List<VideoFrame>();
        var frames = 0;
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync(room))
        {
            frames++;
            held.Add(frame);
            await Task.Delay(20);   // the decoder runs ahead as far as the room lets it
            Assert.True(room.Out <= 3);
            if (held.Count == 2)
            {
                held[0].Dispose();
                held.RemoveAt(0);
            }
        }
        held.ForEach(f => f.Dispose());
        Assert.Equal(18, frames);
        Assert.Equal(3, room.MostOut);
        Assert.Equal(0, room.Out);

        // A consumer that stops early: the frames decoded ahead are disposed, their places given back.
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync(room))
        {
            frame.Dispose();
            await Task.Delay(50);
            break;
        }
        Assert.Equal(0, room.Out);
    }

    [Fact]
    public async Task Constant_rate_keeps_every_fifth_frame_at_6_hz()
    {
        var frames = await ReadAll(clips.Cfr30, FrameSampling.FaceStream);
        Assert.Equal(18, frames.Count);
        Assert.Equal(Enumerable.Range(0, 18).Select(k => 5L * k), frames.Select(f => f.Index));
        Assert.All(frames, f => Assert.Equal(f.Index / 30.0, f.Time, 3));
    }

    [Fact]
    public async Task Two_hz_stream_keeps_every_fifteenth_frame()
    {
        var frames = await ReadAll(clips.Cfr30, FrameSampling.ContextStream);
        Assert.Equal([0L, 15, 30, 45, 60, 75], frames.Select(f => f.Index));
    }

    [Fact]
    public async Task Variable_rate_uses_timestamps_not_frame_counts()
    {
        // Frames: 0..29 at 30 fps (t = n/30), then 30..49 at 10 fps (t = 1 + (n-30)/10).
        var frames = await ReadAll(clips.Vfr, FrameSampling.FaceStream);
        var times = frames.Select(f => f.Time).ToList();
        Assert.Equal(18, frames.Count);
        for (var k = 0; k < frames.Count; k++)
        {
            // Each kept frame is within one frame interval of its 1/6 s tick.
            Assert.InRange(times[k] - k / 6.0, -0.06, 0.1);
        }
        Assert.Equal(30L, frames.Single(f => Math.Abs(f.Time - 1.0) < 1e-3).Index);
        Assert.Equal(35L, frames.Single(f => Math.Abs(f.Time - 1.5) < 1e-3).Index);
    }

    [Fact]
    public async Task Rotation_metadata_is_applied()
    {
        var media = await MediaProber.ProbeAsync(clips.Rotated, CancellationToken.None);
        Assert.Equal(90, Math.Abs(media.Rotation));
        Assert.Equal((240, 320), (media.Width, media.Height));
        var frames = await ReadAll(clips.Rotated, FrameSampling.FaceStream);
        Assert.All(frames, f => Assert.Equal((240, 320), (f.W, f.H)));
    }

    [Fact]
    public async Task Real_video_at_23_976_fps_gets_a_frame_for_every_tick_to_the_end()
    {
        // Megamind.avi: 270 frames at 2997/125 fps (11.26 s): ticks 0 .. 11.1667 s, i.e. 68 of them.
        var frames = await ReadAll(TestPaths.Megamind, FrameSampling.FaceStream);
        Assert.Equal(68, frames.Count);
        Assert.Equal(268L, frames[^1].Index);
        Assert.Equal((720, 528), (frames[0].W, frames[0].H));
    }

    [Fact]
    public async Task Large_frames_are_scaled_to_the_maximum_side()
    {
        var media = await MediaProber.ProbeAsync(clips.Cfr30, CancellationToken.None);
        var reader = new VideoFrameReader(media, new FrameSampling(6, MaxSide: 160));
        Assert.Equal((160, 120), (reader.OutputWidth, reader.OutputHeight));
        Assert.Contains("scale=160:120", reader.FilterGraph, StringComparison.Ordinal);
    }
}

public sealed class SlowConsumerTests
{
    [Fact]
    public async Task A_slow_consumer_still_gets_every_frame()
    {
        var media = await MediaProber.ProbeAsync(TestPaths.Megamind, CancellationToken.None);
        var count = 0;
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync())
        {
            frame.Dispose();
            count++;
            await Task.Delay(20);
        }
        Assert.Equal(68, count);
    }
}
