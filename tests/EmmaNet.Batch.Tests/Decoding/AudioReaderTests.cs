using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Decoding;

[Collection(ClipsCollection.Name)]
public sealed class AudioReaderTests(GeneratedClips clips)
{
    [Fact]
    public async Task Decodes_16_khz_mono_float_with_the_right_length_and_pitch()
    {
        var media = await MediaProber.ProbeAsync(clips.Cfr30, CancellationToken.None);
        var samples = new List<float>();
        var chunks = 0;
        await foreach (var chunk in AudioReader.ReadAsync(media, chunkSamples: 4000))
        {
            Assert.True(chunk.Length <= 4000);
            samples.AddRange(chunk);
            chunks++;
        }
        // 3 s at 16 kHz; AAC adds up to a frame of padding.
        Assert.InRange(samples.Count, 48000, 48000 + 2048);
        Assert.True(chunks >= 12);
        // A 440 Hz sine crosses zero 880 times a second: count in the steady middle second.
        var middle = samples.Skip(16000).Take(16000).ToArray();
        var crossings = Enumerable.Range(1, middle.Length - 1).Count(i => middle[i - 1] < 0 != middle[i] < 0);
        Assert.InRange(crossings, 875, 885);
        Assert.InRange(middle.Max(), 0.05f, 1.0f);
    }

    [Fact]
    public async Task A_video_without_audio_says_so()
    {
        var media = await MediaProber.ProbeAsync(clips.Vfr, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<MediaException>(async () =>
        {
            await foreach (var _ in AudioReader.ReadAsync(media))
            {
            }
        });
        Assert.Equal(clips.Vfr + ": no audio stream", ex.Message);
    }
}
