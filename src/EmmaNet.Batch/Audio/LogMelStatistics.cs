using System.Numerics;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// The default audio features of one window (EMMA-NET.md section 2), needing no learned weights: log-mel frames of
/// 25 ms (400 samples at 16 kHz, Hann, FFT 512) every 10 ms, 64 mel bands over 0-8000 Hz, natural log of power +
/// 1e-10; the window is summarised by the mean and standard deviation of each band and of each band's first
/// difference between consecutive frames (the deltas): 4 x 64 = 256 values, in that order.
/// </summary>
public sealed class LogMelStatistics
{
    public const int SampleRate = 16000;
    public const int FrameLength = 400;
    public const int FrameHop = 160;
    public const int FftSize = 512;
    public const int Bands = 64;
    public const int FeatureCount = 4 * Bands;
    private const float Floor = 1e-10f;

    private readonly Fft _fft = new(FftSize);
    private readonly MelFilterBank _mel = new(Bands, FftSize, SampleRate);
    private readonly float[] _window = Enumerable.Range(0, FrameLength).Select(n => (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * n / FrameLength)))).ToArray();
    private readonly float[] _frame = new float[FrameLength];
    private readonly float[] _power = new float[(FftSize / 2) + 1];
    private readonly Complex[] _work = new Complex[FftSize];

    /// <summary>Log-mel frames of a signal: [frames][bands].</summary>
    public float[][] LogMel(ReadOnlySpan<float> samples)
    {
        var count = samples.Length < FrameLength ? 0 : 1 + ((samples.Length - FrameLength) / FrameHop);
        var frames = new float[count][];
        for (var f = 0; f < count; f++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(samples.Slice(f * FrameHop, FrameLength), _window, _frame);
            _fft.PowerSpectrum(_frame, _power, _work);
            frames[f] = new float[Bands];
            _mel.Apply(_power, frames[f]);
            for (var b = 0; b < Bands; b++)
            {
                frames[f][b] = MathF.Log(frames[f][b] + Floor);
            }
        }
        return frames;
    }

    /// <summary>The 256 statistics of one window (zeros when it is shorter than two frames).</summary>
    public float[] Features(ReadOnlySpan<float> samples)
    {
        var frames = LogMel(samples);
        var features = new float[FeatureCount];
        if (frames.Length < 2)
        {
            return features;
        }
        for (var b = 0; b < Bands; b++)
        {
            var (mean, std) = MeanStd(frames.Select(f => f[b]));
            var (dMean, dStd) = MeanStd(Enumerable.Range(1, frames.Length - 1).Select(i => frames[i][b] - frames[i - 1][b]));
            features[b] = mean;
            features[Bands + b] = std;
            features[(2 * Bands) + b] = dMean;
            features[(3 * Bands) + b] = dStd;
        }
        return features;
    }

    private static (float Mean, float Std) MeanStd(IEnumerable<float> values)
    {
        var list = values.ToList();
        var mean = list.Average();
        var variance = list.Sum(v => (v - mean) * (v - mean)) / list.Count;
        return (mean, MathF.Sqrt(variance));
    }
}
