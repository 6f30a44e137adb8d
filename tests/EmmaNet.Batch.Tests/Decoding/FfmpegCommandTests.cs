using EmmaNet.Batch.Decoding;

namespace EmmaNet.Batch.Tests.Decoding;

/// <summary>The exact ffmpeg command, checked without running ffmpeg.</summary>
public sealed class FfmpegCommandTests
{
    [Fact]
    public void Decode_command_for_a_30_fps_video_at_6_hz()
    {
        var media = new MediaInfo("/v/-rf \"x\" y.mp4", TimeSpan.FromSeconds(10), 1280, 720, 30, 0, "h264", true, 48000, TimeSpan.FromSeconds(10));
        var reader = new VideoFrameReader(media, FrameSampling.FaceStream);
        var args = FfmpegProcess.Arguments(media.Path, reader.OutputArguments);
        Assert.Equal(
        [
            "-hide_banner", "-nostdin", "-nostats",
            "-i", "file:/v/-rf \"x\" y.mp4",
            "-an", "-sn", "-dn",
            "-vf", "setpts=PTS-STARTPTS,showinfo@all=checksum=0,select='isnan(prev_t)+gt(floor((t+0.01666667)*6),floor((prev_t+0.01666667)*6))',showinfo@sel=checksum=0,scale=1280:720:flags=area,format=bgr24",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24",
            "pipe:1",
        ], args);
    }

    [Fact]
    public void A_hardware_decoder_goes_before_the_input()
    {
        var media = new MediaInfo("/v/a.mp4", TimeSpan.FromSeconds(10), 1280, 720, 30, 0, "h264", true, 48000, TimeSpan.FromSeconds(10));
        var reader = new VideoFrameReader(media, FrameSampling.FaceStream, "cuda");
        var args = FfmpegProcess.Arguments(media.Path, reader.OutputArguments, reader.InputArguments);
        var threads = VideoFrameReader.DecoderThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(["-hide_banner", "-nostdin", "-nostats", "-threads", threads, "-hwaccel", "cuda", "-i", "file:/v/a.mp4"], args.Take(9));
    }

    [Fact]
    public void The_decoder_takes_the_half_of_the_cores_the_networks_leave()
    {
        var media = new MediaInfo("/v/a.mp4", TimeSpan.FromSeconds(10), 1280, 720, 30, 0, "h264", true, 48000, TimeSpan.FromSeconds(10));
        var reader = new VideoFrameReader(media, FrameSampling.FaceStream);
        Assert.Equal(["-threads", VideoFrameReader.DecoderThreads.ToString(System.Globalization.CultureInfo.InvariantCulture)], reader.InputArguments);
        Assert.InRange(VideoFrameReader.DecoderThreads, 1, Environment.ProcessorCount);
        if (Environment.ProcessorCount >= 2)
        {
            Assert.Equal(Environment.ProcessorCount, VideoFrameReader.DecoderThreads + EmmaNet.Batch.Models.SessionFactory.DefaultCpuThreads);
        }
    }

    [Fact]
    public void Unknown_frame_rate_selects_on_the_tick_itself() =>
        Assert.Equal("isnan(prev_t)+gt(floor((t+0)*2),floor((prev_t+0)*2))", FrameSampling.ContextStream.SelectExpression(0));
}
