using System.Numerics;
using EmmaNet.Batch.Audio;

namespace EmmaNet.Batch.Tests.Audio;

public sealed class LogMelTests
{
    [Fact]
    public void Fft_power_spectrum_equals_a_naive_dft()
    {
        var random = new Random(7);
        var signal = Enumerable.Range(0, 400).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var fft = new Fft(512);
        var power = new float[257];
        fft.PowerSpectrum(signal, power, new Complex[512]);
        for (var k = 0; k <= 256; k++)
        {
            double re = 0, im = 0;
            for (var n = 0; n < 400; n++)
            {
                re += signal[n] * Math.Cos(2 * Math.PI * k * n / 512);
                im -= signal[n] * Math.Sin(2 * Math.PI * k * n / 512);
            }
            var naive = (re * re) + (im * im);
            Assert.True(Math.Abs(naive - power[k]) <= 1e-4 * Math.Max(1, naive), $"bin {k}: fft {power[k]}, naive {naive}");
        }
    }

    [Fact]
    public void A_tone_is_loudest_in_the_mel_band_that_contains_it()
    {
        var tone = Enumerable.Range(0, 16000).Select(n => (float)Math.Sin(2 * Math.PI * 1000 * n / 16000)).ToArray();
        var frames = new LogMelStatistics().LogMel(tone);
        Assert.Equal(1 + (16000 - 400) / 160, frames.Length);
        var loudest = Array.IndexOf(frames[10], frames[10].Max());
        // Band centres are equally spaced in mel between 0 and 8000 Hz; 1000 Hz is 1000 mel.
        var centre = MelFilterBank.Hz(MelFilterBank.Mel(8000) * (loudest + 1) / 65);
        Assert.InRange(centre, 900, 1100);
    }

    [Fact]
    public void Statistics_of_a_steady_tone_have_zero_mean_delta_and_a_flat_band()
    {
        var tone = Enumerable.Range(0, 16000).Select(n => (float)Math.Sin(2 * Math.PI * 440 * n / 16000)).ToArray();
        var features = new LogMelStatistics().Features(tone);
        Assert.Equal(256, features.Length);
        // A steady tone: each band's log energy barely changes from frame to frame.
        Assert.All(features.Skip(128).Take(64), d => Assert.InRange(d, -0.05f, 0.05f));
        Assert.True(features[..64].Max() > features[..64].Min() + 10, "the tone's band should stand far above the others");
    }

    [Fact]
    public void Steps_are_every_half_second_with_centred_one_second_windows()
    {
        Assert.Equal(6, AudioTimeline.StepCount(3.0));
        Assert.Equal(7, AudioTimeline.StepCount(3.1));
        Assert.Equal(0, AudioTimeline.StepCount(0));
        Assert.Equal(2.5, AudioTimeline.StepTime(5));
        Assert.Equal(-8000, AudioTimeline.WindowStart(0, 16000));
        Assert.Equal(32000, AudioTimeline.WindowStart(5, 16000));
        Assert.Equal(16000, AudioTimeline.WindowSamples(16000));
    }
}
