using System.Numerics;

namespace EmmaNet.Batch.Audio;

/// <summary>In-place iterative radix-2 Cooley-Tukey FFT for power-of-two lengths.</summary>
public sealed class Fft
{
    private readonly Complex[] _twiddles;
    private readonly int[] _bitReverse;

    public Fft(int size)
    {
        if (size < 2 || (size & (size - 1)) != 0)
        {
            throw new ArgumentException($"FFT size {size} is not a power of two", nameof(size));
        }
        Size = size;
        _twiddles = Enumerable.Range(0, size / 2).Select(k => Complex.FromPolarCoordinates(1, -2 * Math.PI * k / size)).ToArray();
        var bits = (int)Math.Log2(size);
        _bitReverse = Enumerable.Range(0, size).Select(i => Reverse(i, bits)).ToArray();
    }

    public int Size { get; }

    private static int Reverse(int value, int bits)
    {
        var result = 0;
        for (var b = 0; b < bits; b++)
        {
            result = (result << 1) | ((value >> b) & 1);
        }
        return result;
    }

    /// <summary>Power spectrum |X_k|^2 for k = 0 .. size/2 of a real signal (zero-padded to the FFT size).</summary>
    public void PowerSpectrum(ReadOnlySpan<float> signal, Span<float> power, Span<Complex> work)
    {
        for (var i = 0; i < Size; i++)
        {
            work[_bitReverse[i]] = i < signal.Length ? signal[i] : 0;
        }
        for (var length = 2; length <= Size; length <<= 1)
        {
            var half = length / 2;
            var step = Size / length;
            for (var start = 0; start < Size; start += length)
            {
                for (var k = 0; k < half; k++)
                {
                    var t = _twiddles[k * step] * work[start + k + half];
                    var u = work[start + k];
                    work[start + k] = u + t;
                    work[start + k + half] = u - t;
                }
            }
        }
        for (var k = 0; k <= Size / 2; k++)
        {
            power[k] = (float)((work[k].Real * work[k].Real) + (work[k].Imaginary * work[k].Imaginary));
        }
    }
}
