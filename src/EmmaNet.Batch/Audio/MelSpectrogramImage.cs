using System.Numerics;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// DeepSpectrum's picture of an audio window (FORMATS.md section 3): FFT of the next power of two at or above 25 ms
/// (512 at 16 kHz), hop half of it, Hann window, no centring; power on 128 mel bands (HTK scale, 0 Hz to Nyquist);
/// to dB relative to the window's maximum; drawn with viridis over the window's min..max, no axes, low frequencies at
/// the bottom, 227 x 227 pixels (each pixel shows the spectrogram cell under its centre).
/// </summary>
public sealed class MelSpectrogramImage
{
    public const int ImageSize = 227;
    public const int MelBands = 128;
    private const float PowerFloor = 1e-10f;

    private readonly int _fftSize;
    private readonly Fft _fft;
    private readonly MelFilterBank _mel;
    private readonly float[] _window;

    public MelSpectrogramImage(int sampleRate = 16000)
    {
        var minSamples = (int)Math.Ceiling(0.025 * sampleRate);
        _fftSize = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)minSamples);
        _fft = new Fft(_fftSize);
        _mel = new MelFilterBank(MelBands, _fftSize, sampleRate);
        _window = Enumerable.Range(0, _fftSize).Select(n => (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * n / _fftSize)))).ToArray();
    }

    public int FftSize => _fftSize;

    public int Hop => _fftSize / 2;

    /// <summary>The mel spectrogram in dB relative to its maximum: [frames][bands].</summary>
    public float[][] DecibelsRelativeToMax(ReadOnlySpan<float> samples)
    {
        var frames = samples.Length < _fftSize ? 1 : 1 + ((samples.Length - _fftSize) / Hop);
        var power = new float[(_fftSize / 2) + 1];
        var frame = new float[_fftSize];
        var work = new Complex[_fftSize];
        var mel = new float[frames][];
        for (var f = 0; f < frames; f++)
        {
            Array.Clear(frame);
            var start = f * Hop;
            var length = Math.Min(_fftSize, samples.Length - start);
            System.Numerics.Tensors.TensorPrimitives.Multiply(samples.Slice(start, Math.Max(0, length)), _window.AsSpan(0, Math.Max(0, length)), frame.AsSpan(0, Math.Max(0, length)));
            _fft.PowerSpectrum(frame, power, work);
            mel[f] = new float[MelBands];
            _mel.Apply(power, mel[f]);
        }
        var max = Math.Max(mel.Max(m => m.Max()), PowerFloor);
        foreach (var m in mel)
        {
            for (var b = 0; b < MelBands; b++)
            {
                m[b] = 10f * MathF.Log10(Math.Max(m[b], PowerFloor) / max);
            }
        }
        return mel;
    }

    /// <summary>The 227 x 227 BGR picture.</summary>
    public BgrImage Render(ReadOnlySpan<float> samples) => Render(samples, new BgrImage());

    /// <summary>The 227 x 227 BGR picture, drawn into <paramref name="image"/> (reshaped, its buffer kept when big enough).</summary>
    public BgrImage Render(ReadOnlySpan<float> samples, BgrImage image)
    {
        var db = DecibelsRelativeToMax(samples);
        var min = db.Min(m => m.Min());
        var max = db.Max(m => m.Max());
        var range = max - min;
        image.Reshape(ImageSize, ImageSize);
        for (var y = 0; y < ImageSize; y++)
        {
            // Row 0 is the top of the picture: the highest band.
            var band = Math.Clamp((int)((ImageSize - y - 0.5) * MelBands / ImageSize), 0, MelBands - 1);
            var row = image.Row(y);
            for (var x = 0; x < ImageSize; x++)
            {
                var frame = Math.Clamp((int)((x + 0.5) * db.Length / ImageSize), 0, db.Length - 1);
                var (r, g, b) = Viridis.At(range > 0 ? (db[frame][band] - min) / range : 0f);
                row[x * 3] = b;
                row[(x * 3) + 1] = g;
                row[(x * 3) + 2] = r;
            }
        }
        return image;
    }
}
