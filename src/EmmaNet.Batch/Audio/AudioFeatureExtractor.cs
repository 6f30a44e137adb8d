using System.Runtime.CompilerServices;
using EmmaNet.Batch.Decoding;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// Streams a video's audio once and yields its 2 Hz <see cref="AudioStep"/>s as soon as each window is complete:
/// per window the log-mel statistics (default) or, given a <see cref="DeepSpectrumModel"/>, the CNN features of its
/// spectrogram picture; and the VAD run over the whole stream in order so its recurrent state is carried across
/// windows. Memory holds about one window of samples, whatever the length. Each call has its own state, so one
/// extractor serves several videos at once.
/// </summary>
public sealed class AudioFeatureExtractor(SileroVad vad, DeepSpectrumModel? deepSpectrum = null)
{
    public const float SpeechThreshold = 0.5f;
    private const int Rate = LogMelStatistics.SampleRate;

    private string[]? _columns;

    public Models.ModelIdentity VoiceActivityModel => vad.Model;

    /// <summary>CPU seconds of the voice activity network and of the features (DeepSpectrum or log-mel), since this extractor was made.</summary>
    public CpuMeter Cpu { get; } = new();

    public Models.ModelIdentity? CnnModel => deepSpectrum?.Model;

    /// <summary>Names of the feature values, for output columns: log-mel statistics by band, or DeepSpectrum's neurons.</summary>
    public IReadOnlyList<string> ColumnNames => _columns ??= deepSpectrum is null
        ? Enumerable.Range(0, LogMelStatistics.FeatureCount).Select(i => $"audio_{Parts[i / LogMelStatistics.Bands]}_{i % LogMelStatistics.Bands:00}").ToArray()
        : Enumerable.Range(0, deepSpectrum.FeatureCount).Select(i => $"audio_ds_{i:0000}").ToArray();

    private static readonly string[] Parts = ["mel_mean", "mel_std", "dmel_mean", "dmel_std"];


    /// <summary>
    /// The steps of the audio the stream holds, whatever the container says its duration is: every step whose window
    /// reaches a sample, from step 0. Steps the audio does not reach are not made (the feature assembler gives them
    /// absent voice), so a file whose header stretches its timeline costs nothing for the silence.
    /// </summary>
    /// <param name="videoEnd">The seconds the video lasts, once known (null while it is being decoded): steps past it are
    /// not made and the audio is no longer read. Without it, the container's video duration.</param>
    /// <param name="audioSeconds">Told how many seconds of audio were read, once reading stops.</param>
    public async IAsyncEnumerable<AudioStep> ExtractAsync(MediaInfo media, Func<double?>? videoEnd = null, int audioChunkSamples = Rate, Action<double>? audioSeconds = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!media.HasAudio)
        {
            yield break;
        }

        // The CNN stays loaded while this video's audio is read, and no longer than any video's audio.
        using var cnnHeld = deepSpectrum?.Hold();
        var stream = vad.CreateStream();
        var logMel = new LogMelStatistics();
        var window = AudioTimeline.WindowSamples(Rate);
        var buffer = new List<float>();   // samples from bufferStart on
        long bufferStart = 0, received = 0;
        var chunkProbabilities = new List<(long Centre, float P)>();
        long vadChunks = 0;
        var next = 0;
        videoEnd ??= () => media.VideoDuration.TotalSeconds;
        bool PastVideo(int step) => videoEnd() is { } end && step >= AudioTimeline.StepCount(end);
        await foreach (var chunk in AudioReader.ReadAsync(media, Rate, audioChunkSamples, cancellationToken))
        {
            using (Cpu.Measure("audio_vad"))
            {
                foreach (var p in stream.Push(chunk))
                {
                    chunkProbabilities.Add(((vadChunks++ * SileroVad.ChunkSamples) + (SileroVad.ChunkSamples / 2), p));
                }
            }
            buffer.AddRange(chunk);
            received += chunk.Length;
            // A step waits until the VAD has finished every 32 ms chunk centred in its window, so the result does not
            // depend on how the audio was read.
            while (!PastVideo(next) && AudioTimeline.WindowStart(next, Rate) + window + (SileroVad.ChunkSamples / 2) <= received)
            {
                yield return Step(next++, buffer, bufferStart, window, chunkProbabilities, logMel);
                // Keep only what later windows can still reach.
                var keepFrom = Math.Max(bufferStart, AudioTimeline.WindowStart(next, Rate));
                buffer.RemoveRange(0, (int)(keepFrom - bufferStart));
                bufferStart = keepFrom;
                chunkProbabilities.RemoveAll(c => c.Centre < keepFrom);
            }
            if (PastVideo(next))
            {
                break;
            }
        }
        audioSeconds?.Invoke((double)received / Rate);
        while (!PastVideo(next) && AudioTimeline.WindowStart(next, Rate) < received)
        {
            yield return Step(next++, buffer, bufferStart, window, chunkProbabilities, logMel);
        }
    }

    private AudioStep Step(int step, List<float> buffer, long bufferStart, int window, List<(long Centre, float P)> chunks, LogMelStatistics logMel)
    {
        var start = AudioTimeline.WindowStart(step, Rate);
        var samples = new float[window];
        for (var i = 0; i < window; i++)
        {
            var at = start + i - bufferStart;
            samples[i] = at >= 0 && at < buffer.Count ? buffer[(int)at] : 0f;
        }
        var inside = chunks.Where(c => c.Centre >= start && c.Centre < start + window).Select(c => c.P).ToList();
        var speech = inside.Count > 0 ? inside.Average() : 0f;
        float[] features;
        using (Cpu.Measure("audio_features"))
        {
            features = deepSpectrum is null ? logMel.Features(samples) : deepSpectrum.Features(samples);
        }
        return new AudioStep(step, AudioTimeline.StepTime(step), features, speech, speech >= SpeechThreshold);
    }
}
