using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Audio;

[Collection(ModelsCollection.Name)]
public sealed class AudioFeatureTests(ModelFixture models, GeneratedClips clips)
{
    private async Task<List<AudioStep>> Extract(string path, int chunk = 16000)
    {
        var media = await MediaProber.ProbeAsync(path, CancellationToken.None);
        var steps = new List<AudioStep>();
        await foreach (var step in new AudioFeatureExtractor(models.Vad).ExtractAsync(media, audioChunkSamples: chunk))
        {
            steps.Add(step);
        }
        return steps;
    }

    [Fact]
    public async Task A_clip_of_known_length_gets_one_step_every_half_second()
    {
        var steps = await Extract(clips.Cfr30);
        Assert.Equal([0, 0.5, 1.0, 1.5, 2.0, 2.5], steps.Select(s => s.Time));
        Assert.All(steps, s => Assert.Equal(256, s.Features.Length));
        // A pure tone is not speech.
        Assert.All(steps, s => Assert.False(s.Present));
    }

    [Fact]
    public async Task Voice_activity_is_high_in_speech_and_low_in_the_silent_gaps()
    {
        var truth = PhotoSegment.LoadAll();
        var steps = await Extract(TestPaths.FacesVideo);
        Assert.Equal(60, steps.Count);
        // Silero's recurrent state takes a few hundred ms to rise at speech onset and to decay after it: windows are
        // counted from 0.25 s after a change.
        var inSpeech = steps.Where(s => truth.Any(t => s.Time - 0.5 >= t.SpeechStartS + 0.25 && s.Time + 0.5 <= t.SpeechEndS)).ToList();
        var inSilence = steps.Where(s => truth.Any(t => s.Time - 0.5 >= t.SpeechEndS + 0.25 && s.Time + 0.5 <= t.EndS)).ToList();
        Assert.True(inSpeech.Count >= 6, $"{inSpeech.Count} steps wholly inside speech");
        Assert.True(inSilence.Count >= 6, $"{inSilence.Count} steps wholly inside silence");
        Assert.All(inSpeech, s => Assert.True(s.Present, $"speech at {s.Time} s: p = {s.SpeechProbability}"));
        Assert.All(inSilence, s => Assert.False(s.Present, $"silence at {s.Time} s: p = {s.SpeechProbability}"));
        Assert.True(inSpeech.Average(s => s.SpeechProbability) > 0.7f, "mean speech probability in speech");
        Assert.True(inSilence.Average(s => s.SpeechProbability) < 0.2f, "mean speech probability in silence");
    }

    [Fact]
    public async Task The_recurrent_state_follows_the_stream_whatever_the_read_chunking()
    {
        var oneSecond = await Extract(TestPaths.FacesVideo, chunk: 16000);
        var odd = await Extract(TestPaths.FacesVideo, chunk: 3001);
        Assert.Equal(oneSecond.Select(s => s.SpeechProbability), odd.Select(s => s.SpeechProbability));
        Assert.Equal(oneSecond[20].Features, odd[20].Features);
    }

    [Fact]
    public async Task A_video_without_audio_has_no_audio_steps()
    {
        // (The feature assembler gives its steps absent voice: FeatureAssemblerTests.)
        Assert.Empty(await Extract(clips.Vfr));
    }

    [Fact]
    public async Task Audio_is_read_past_a_duration_the_caller_knows_to_be_longer_and_stops_at_it()
    {
        var media = await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None);
        var shortMedia = media with { VideoDuration = TimeSpan.FromSeconds(2) };
        async Task<int> Count(Func<double?>? end)
        {
            var n = 0;
            await foreach (var _ in new AudioFeatureExtractor(models.Vad).ExtractAsync(shortMedia, end))
            {
                n++;
            }
            return n;
        }
        Assert.Equal(4, await Count(null));        // the container's 2 s
        Assert.Equal(14, await Count(() => 7));    // the 7 s the decoding found
    }
}
