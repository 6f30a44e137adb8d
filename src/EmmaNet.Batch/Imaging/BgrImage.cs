namespace EmmaNet.Batch.Imaging;

/// <summary>
/// An 8-bit BGR picture in managed memory, rows packed (stride = width * 3): the one image type the networks' input
/// code reads, whichever <see cref="ImageOps"/> backend filled it. A scratch image is reshaped in place between calls.
/// </summary>
public sealed class BgrImage
{
    private byte[] _pixels;

    public BgrImage(int width = 0, int height = 0)
    {
        _pixels = new byte[Math.Max(0, width * height * 3)];
        (Width, Height) = (width, height);
    }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public int Stride => Width * 3;

    /// <summary>The pixels, rows top to bottom, B, G, R per pixel.</summary>
    public Span<byte> Pixels => _pixels.AsSpan(0, Height * Stride);

    /// <summary>The underlying array (at least <see cref="Pixels"/> long), for pinning.</summary>
    internal byte[] Buffer => _pixels;

    public Span<byte> Row(int y) => _pixels.AsSpan(y * Stride, Stride);

    /// <summary>Makes this image <paramref name="width"/> x <paramref name="height"/>, keeping the buffer if it is big enough.</summary>
    public BgrImage Reshape(int width, int height)
    {
        if (_pixels.Length < width * height * 3)
        {
            _pixels = new byte[width * height * 3];
        }
        (Width, Height) = (width, height);
        return this;
    }
}

/// <summary>A read-only view of packed BGR pixels (a decoded frame's, or a <see cref="BgrImage"/>'s).</summary>
public readonly ref struct BgrView(ReadOnlySpan<byte> pixels, int width, int height)
{
    public ReadOnlySpan<byte> Pixels { get; } = pixels;

    public int Width { get; } = width;

    public int Height { get; } = height;

    public static implicit operator BgrView(BgrImage image) => new(image.Pixels, image.Width, image.Height);
}
