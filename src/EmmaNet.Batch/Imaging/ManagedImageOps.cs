namespace EmmaNet.Batch.Imaging;

/// <summary>
/// The image operations in C#, following OpenCV's rules (imgproc's resize and warpAffine) so that networks see the
/// same inputs whichever backend runs: a resize is separable, each axis a table of (source index, weight) per output
/// index; rows are resampled along x into floats, then combined along y and rounded. Measured against OpenCV in
/// docs/benchmarks.md.
/// </summary>
public sealed class ManagedImageOps : ImageOps
{
    // OpenCV's warpAffine constants (imgproc): AB_BITS, INTER_BITS, INTER_REMAP_COEF_BITS.
    private const int CoordinateBits = 10;
    private const int CoordinateScale = 1 << CoordinateBits;
    private const int SubPixelBits = 5;
    private const int SubPixels = 1 << SubPixelBits;
    private const int CoordinateRound = CoordinateScale / SubPixels / 2;
    private const int WeightBits = 15;

    [ThreadStatic]
    private static float[]? _rows;

    // Tables depend only on the two sizes and the rule: built once per (rule, source, size), not per frame. A video
    // has a handful of sizes; the cache is cleared if some odd input ever fills it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(char Rule, int Source, int Size), Table> Tables = new();

    private static Table Cached(char rule, int sourceSize, int size, Func<int, int, Table> build)
    {
        if (Tables.Count > 256)
        {
            Tables.Clear();
        }
        return Tables.GetOrAdd((rule, sourceSize, size), key => build(key.Source, key.Size));
    }

    public override string Name => "managed";

    public override void ResizeArea(BgrView source, BgrImage destination, int width, int height)
    {
        var shrinking = source.Width >= width && source.Height >= height;
        Resize(source, destination.Reshape(width, height),
            shrinking ? Cached('a', source.Width, width, AreaTable) : Cached('u', source.Width, width, AreaUpTable),
            shrinking ? Cached('a', source.Height, height, AreaTable) : Cached('u', source.Height, height, AreaUpTable));
    }

    public override void ResizeLinear(BgrView source, BgrImage destination, int width, int height) =>
        Resize(source, destination.Reshape(width, height), Cached('l', source.Width, width, LinearTable), Cached('l', source.Height, height, LinearTable));

    public override void WarpAffine(BgrView source, BgrImage destination, int width, int height, ReadOnlySpan<double> sourceToDestination)
    {
        var (a, b, c, d, e, f) = (sourceToDestination[0], sourceToDestination[1], sourceToDestination[2], sourceToDestination[3], sourceToDestination[4], sourceToDestination[5]);
        var det = (a * e) - (b * d);
        if (Math.Abs(det) < 1e-12)
        {
            throw new ArgumentException("the affine map is singular", nameof(sourceToDestination));
        }
        // Destination to source: the inverse of [a b c; d e f].
        var (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        var (ic, iF) = (-((ia * c) + (ib * f)), -((id * c) + (ie * f)));
        destination.Reshape(width, height);
        var src = source.Pixels;
        var stride = source.Width * 3;
        // OpenCV's fixed point, so that the crops match it: coordinates in 1/1024 pixel, rounded to 1/32, and
        // bilinear weights in 1/32768 (exact products of the 1/32 fractions), each sum rounded once.
        var columnX = new int[width];
        var columnY = new int[width];
        for (var x = 0; x < width; x++)
        {
            (columnX[x], columnY[x]) = (Fixed(ia * x * CoordinateScale), Fixed(id * x * CoordinateScale));
        }
        for (var y = 0; y < height; y++)
        {
            var row = destination.Row(y);
            var rowX = Fixed(((ib * y) + ic) * CoordinateScale) + CoordinateRound;
            var rowY = Fixed(((ie * y) + iF) * CoordinateScale) + CoordinateRound;
            for (var x = 0; x < width; x++)
            {
                var sx = (rowX + columnX[x]) >> (CoordinateBits - SubPixelBits);
                var sy = (rowY + columnY[x]) >> (CoordinateBits - SubPixelBits);
                var (x0, y0) = (sx >> SubPixelBits, sy >> SubPixelBits);
                var (fx, fy) = (sx & (SubPixels - 1), sy & (SubPixels - 1));
                var w00 = (SubPixels - fy) * (SubPixels - fx) * SubPixels;
                var w01 = (SubPixels - fy) * fx * SubPixels;
                var w10 = fy * (SubPixels - fx) * SubPixels;
                var w11 = fy * fx * SubPixels;
                // The four neighbours' offsets, -1 where outside the source (black).
                var (inX0, inX1) = (x0 >= 0 && x0 < source.Width, x0 + 1 >= 0 && x0 + 1 < source.Width);
                var (inY0, inY1) = (y0 >= 0 && y0 < source.Height, y0 + 1 >= 0 && y0 + 1 < source.Height);
                var p00 = inX0 && inY0 ? (y0 * stride) + (x0 * 3) : -1;
                var p01 = inX1 && inY0 ? (y0 * stride) + ((x0 + 1) * 3) : -1;
                var p10 = inX0 && inY1 ? ((y0 + 1) * stride) + (x0 * 3) : -1;
                var p11 = inX1 && inY1 ? ((y0 + 1) * stride) + ((x0 + 1) * 3) : -1;
                for (var ch = 0; ch < 3; ch++)
                {
                    var sum = ((p00 < 0 ? 0 : src[p00 + ch]) * w00) + ((p01 < 0 ? 0 : src[p01 + ch]) * w01)
                        + ((p10 < 0 ? 0 : src[p10 + ch]) * w10) + ((p11 < 0 ? 0 : src[p11 + ch]) * w11);
                    row[(x * 3) + ch] = (byte)((sum + (1 << (WeightBits - 1))) >> WeightBits);
                }
            }
        }
    }

    private static int Fixed(double value) => (int)Math.Round(value, MidpointRounding.ToEven);

    /// <summary>For each output index, the source indices and weights that make it (weights summing to 1).</summary>
    internal sealed record Table(int[] Start, int[] Source, float[] Weight)
    {
        public int Count => Start.Length - 1;
    }

    /// <summary>INTER_AREA shrinking: each output pixel averages the source area it covers, partial pixels by their share.</summary>
    internal static Table AreaTable(int sourceSize, int size)
    {
        var scale = (double)sourceSize / size;
        var start = new List<int> { 0 };
        var sources = new List<int>();
        var weights = new List<float>();
        for (var i = 0; i < size; i++)
        {
            var from = i * scale;
            var to = from + scale;
            var cell = Math.Min(scale, sourceSize - from);
            var last = Math.Min((int)Math.Floor(to), sourceSize - 1);
            var first = Math.Min((int)Math.Ceiling(from), last);
            if (first - from > 1e-3)
            {
                sources.Add(first - 1);
                weights.Add((float)((first - from) / cell));
            }
            for (var s = first; s < last; s++)
            {
                sources.Add(s);
                weights.Add((float)(1 / cell));
            }
            if (to - last > 1e-3)
            {
                sources.Add(last);
                weights.Add((float)(Math.Min(Math.Min(to - last, 1), cell) / cell));
            }
            start.Add(sources.Count);
        }
        return new Table([.. start], [.. sources], [.. weights]);
    }

    /// <summary>INTER_AREA enlarging: each output pixel copies its source pixel, blending the two neighbours only where a source pixel's edge falls inside it.</summary>
    internal static Table AreaUpTable(int sourceSize, int size)
    {
        var scale = (double)sourceSize / size;
        var inverse = (double)size / sourceSize;
        return TwoTap(sourceSize, size, i =>
        {
            var s = (int)Math.Floor(i * scale);
            var f = (i + 1) - ((s + 1) * inverse);
            return (s, f <= 0 ? 0 : (float)(f - Math.Floor(f)));
        });
    }

    /// <summary>INTER_LINEAR: pixel centres aligned (x + 0.5) * scale - 0.5, edges replicated.</summary>
    internal static Table LinearTable(int sourceSize, int size)
    {
        var scale = (double)sourceSize / size;
        return TwoTap(sourceSize, size, i =>
        {
            var at = ((i + 0.5) * scale) - 0.5;
            var s = (int)Math.Floor(at);
            return (s, (float)(at - s));
        });
    }

    private static Table TwoTap(int sourceSize, int size, Func<int, (int Source, float Fraction)> tap)
    {
        var start = new int[size + 1];
        var sources = new int[size * 2];
        var weights = new float[size * 2];
        for (var i = 0; i < size; i++)
        {
            var (s, f) = tap(i);
            if (s < 0)
            {
                (s, f) = (0, 0);
            }
            if (s >= sourceSize - 1)
            {
                (s, f) = (sourceSize - 1, 0);
            }
            start[i + 1] = (i + 1) * 2;
            (sources[i * 2], weights[i * 2]) = (s, 1 - f);
            (sources[(i * 2) + 1], weights[(i * 2) + 1]) = (Math.Min(s + 1, sourceSize - 1), f);
        }
        return new Table(start, sources, weights);
    }

    private static void Resize(BgrView source, BgrImage destination, Table xs, Table ys)
    {
        var width = destination.Width;
        var rowFloats = width * 3;
        // Each source row resampled along x once, then the output rows combined from them.
        var rows = _rows is { } r && r.Length >= rowFloats * source.Height ? r : _rows = new float[rowFloats * source.Height];
        var src = source.Pixels;
        var stride = source.Width * 3;
        for (var y = 0; y < source.Height; y++)
        {
            var line = src.Slice(y * stride, stride);
            var outRow = rows.AsSpan(y * rowFloats, rowFloats);
            for (var x = 0; x < width; x++)
            {
                float b = 0, g = 0, red = 0;
                for (var k = xs.Start[x]; k < xs.Start[x + 1]; k++)
                {
                    var at = xs.Source[k] * 3;
                    var w = xs.Weight[k];
                    b += line[at] * w;
                    g += line[at + 1] * w;
                    red += line[at + 2] * w;
                }
                (outRow[x * 3], outRow[(x * 3) + 1], outRow[(x * 3) + 2]) = (b, g, red);
            }
        }
        Span<float> sum = rowFloats <= 4096 ? stackalloc float[rowFloats] : new float[rowFloats];
        for (var y = 0; y < destination.Height; y++)
        {
            sum.Clear();
            for (var k = ys.Start[y]; k < ys.Start[y + 1]; k++)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(rows.AsSpan(ys.Source[k] * rowFloats, rowFloats), ys.Weight[k], sum, sum);
            }
            var outRow = destination.Row(y);
            for (var i = 0; i < rowFloats; i++)
            {
                outRow[i] = ToByte(sum[i]);
            }
        }
    }

    private static byte ToByte(float value) => (byte)Math.Clamp((int)MathF.Round(value, MidpointRounding.ToEven), 0, 255);
}
