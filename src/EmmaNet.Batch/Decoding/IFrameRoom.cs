namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Room for decoded frames' pixels: a reader takes a place before it rents a frame buffer, and the frame gives it back
/// when its pixels are disposed. A reader that waited for room only after decoding a frame held that frame, its queue
/// and its next read beyond the limit (four 720p frames, 11 MB, per video decoding).
/// </summary>
public interface IFrameRoom
{
    /// <summary>Waits for a place.</summary>
    Task TakeAsync(CancellationToken cancellationToken);

    /// <summary>A place taken by <see cref="TakeAsync"/> goes back.</summary>
    void Give();
}
