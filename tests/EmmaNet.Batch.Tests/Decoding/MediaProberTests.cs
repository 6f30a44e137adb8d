using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Decoding;

[Collection(ClipsCollection.Name)]
public sealed class MediaProberTests(GeneratedClips clips) : IDisposable
{
    private readonly TempFolder _temp = new();

    private static async Task<MediaException> ProbeFails(string path)
    {
        var ex = await Assert.ThrowsAsync<MediaException>(() => MediaProber.ProbeAsync(path, CancellationToken.None));
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    [Fact]
    public async Task Missing_file() => Assert.Equal("file not found", (await ProbeFails(_temp.File("nope.mp4"))).Cause);

    [Fact]
    public async Task Zero_byte_file()
    {
        var path = _temp.File("empty.mp4");
        await File.WriteAllBytesAsync(path, []);
        Assert.Equal("empty file (0 bytes)", (await ProbeFails(path)).Cause);
    }

    [Fact]
    public async Task Text_file_with_a_video_extension()
    {
        var path = _temp.File("notes.mp4");
        await File.WriteAllTextAsync(path, "these are meeting notes, not a video\n");
        Assert.StartsWith("not a readable media file", (await ProbeFails(path)).Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_mp4()
    {
        var path = _temp.File("half.mp4");
        var bytes = await File.ReadAllBytesAsync(clips.Cfr30);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        var cause = (await ProbeFails(path)).Cause;
        Assert.StartsWith("not a readable media file", cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audio_only_file()
    {
        var path = _temp.File("tone.wav");
        GeneratedClips.Run("ffmpeg", $"-v error -y -f lavfi -i sine=frequency=300:duration=1 \"{path}\"");
        Assert.Equal("not a video: audio only, no video stream", (await ProbeFails(path)).Cause);
    }

    [Fact]
    public async Task Megamind_bugy_is_a_readable_video_without_audio()
    {
        // The "buggy" copy in opencv-doc is a valid XVID AVI with a rewritten header and no audio track.
        var media = await MediaProber.ProbeAsync(TestPaths.MegamindBugy, CancellationToken.None);
        Assert.False(media.HasAudio);
        Assert.Equal((720, 528), (media.Width, media.Height));
    }

    [Fact]
    public async Task Video_with_audio()
    {
        var media = await MediaProber.ProbeAsync(clips.Cfr30, CancellationToken.None);
        Assert.True(media.HasAudio);
        Assert.Equal(30, media.FrameRate, 3);
        Assert.Equal(3, media.Duration.TotalSeconds, 1);
    }

    public void Dispose() => _temp.Dispose();
}
