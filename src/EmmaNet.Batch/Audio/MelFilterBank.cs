namespace EmmaNet.Batch.Audio;

/// <summary>
/// Triangular mel filters (HTK mel scale: 2595 log10(1 + f / 700)), equally spaced in mel between
/// <c>minHz</c> and <c>maxHz</c>, applied to a power spectrum of <c>fftSize / 2 + 1</c> bins.
/// </summary>
public sealed class MelFilterBank
{
    private readonly float[][] _weights;

    public MelFilterBank(int bands, int fftSize, int sampleRate, double minHz = 0, double? maxHz = null)
    {
        Bands = bands;
        var bins = (fftSize / 2) + 1;
        var top = maxHz ?? sampleRate / 2.0;
        var melPoints = Enumerable.Range(0, bands + 2).Select(i => Mel(minHz) + ((Mel(top) - Mel(minHz)) * i / (bands + 1))).ToArray();
        var hzPoints = melPoints.Select(Hz).ToArray();
        _weights = new float[bands][];
        for (var b = 0; b < bands; b++)
        {
            _weights[b] = new float[bins];
            for (var k = 0; k < bins; k++)
            {
                var f = (double)k * sampleRate / fftSize;
                var rising = (f - hzPoints[b]) / (hzPoints[b + 1] - hzPoints[b]);
                var falling = (hzPoints[b + 2] - f) / (hzPoints[b + 2] - hzPoints[b + 1]);
                _weights[b][k] = (float)Math.Max(0, Math.Min(rising, falling));
            }
        }
    }

    public int Bands { get; }

    public static double Mel(double hz) => 2595 * Math.Log10(1 + (hz / 700));

    public static double Hz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);

    public void Apply(ReadOnlySpan<float> power, Span<float> mel)
    {
        for (var b = 0; b < Bands; b++)
        {
            mel[b] = System.Numerics.Tensors.TensorPrimitives.Dot(_weights[b], power);
        }
    }
}
