namespace EmmaNet.Batch.Decoding;

/// <summary>
/// One decoded frame in BGR24, held in a buffer of <see cref="FrameBufferPool"/>. The consumer that finishes with it disposes it;
/// disposal returns the buffer exactly once, and the pixels must not be touched afterwards.
/// </summary>
public sealed class VideoFrame : IDisposable
{
    private byte[]? _buffer;
    private readonly IFrameRoom? _room;

    /// <param name="room">Where the frame's place was taken: given back when the pixels are disposed.</param>
    internal VideoFrame(byte[] buffer, int width, int height, long frameIndex, double timestamp, IFrameRoom? room = null)
    {
        _buffer = buffer;
        _room = room;
        Width = width;
        Height = height;
        FrameIndex = frameIndex;
        Timestamp = timestamp;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Index of this frame among all decoded frames of the video, counted from 0 in presentation order.</summary>
    public long FrameIndex { get; }

    /// <summary>Presentation time in seconds from the first frame.</summary>
    public double Timestamp { get; }

    public int ByteCount => Width * Height * 3;

    public ReadOnlySpan<byte> Pixels => (_buffer ?? throw new ObjectDisposedException(nameof(VideoFrame))).AsSpan(0, ByteCount);

    /// <summary>The pixels as an image view (no copy), for the image operations.</summary>
    public Imaging.BgrView View => new(Pixels, Width, Height);

    /// <summary>Rents a buffer big enough for a frame of this size.</summary>
    internal static byte[] RentBuffer(int width, int height) => FrameBufferPool.Rent(width * height * 3);

    /// <summary>Returns a buffer from <see cref="RentBuffer"/> that never became a frame.</summary>
    internal static void ReturnBuffer(byte[] buffer) => FrameBufferPool.Return(buffer);

    /// <summary>For tests and in-memory sources: a frame over a copy of the given pixels (holding a place of <paramref name="room"/>, already taken, when given).</summary>
    public static VideoFrame FromPixels(ReadOnlySpan<byte> bgr, int width, int height, long frameIndex, double timestamp, IFrameRoom? room = null)
    {
        var buffer = RentBuffer(width, height);
        bgr[..(width * height * 3)].CopyTo(buffer);
        return new VideoFrame(buffer, width, height, frameIndex, timestamp, room);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            FrameBufferPool.Return(buffer);
            _room?.Give();
        }
    }
}
