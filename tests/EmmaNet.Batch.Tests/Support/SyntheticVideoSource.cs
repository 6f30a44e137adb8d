using System.Runtime.CompilerServices;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>
/// A video source for pipeline fault tests: every "video" has <see cref="FramesPerVideo"/> small grey frames, and
/// the video named in <see cref="FailAt"/> throws a <see cref="MediaException"/> when asked for that element.
/// </summary>
public sealed class SyntheticVideoSource(int framesPerVideo) : IVideoSource
{
    public int FramesPerVideo { get; } = framesPerVideo;

    public Dictionary<string, int> FailAt { get; } = new();

    public Action<string, int>? OnFrame { get; set; }

    /// <summary>The grey level of a named video's frames (128 otherwise): lets a test's network tell the videos apart.</summary>
    public Dictionary<string, byte> Shade { get; } = new();

    public Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken) =>
        Task.FromResult(new MediaInfo(path, TimeSpan.FromSeconds(FramesPerVideo / 6.0), 64, 48, 30, 0, "synthetic", true, 16000, TimeSpan.FromSeconds(FramesPerVideo / 6.0)));

    public async IAsyncEnumerable<VideoFrame> ReadFramesAsync(MediaInfo media, FrameSampling sampling, Action<DecodeEnd> ended, IFrameRoom room, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pixels = Enumerable.Repeat(Shade.GetValueOrDefault(Path.GetFileName(media.Path), (byte)128), 64 * 48 * 3).ToArray();
        for (var i = 0; i < FramesPerVideo; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (FailAt.TryGetValue(Path.GetFileName(media.Path), out var at) && at == i)
            {
                throw new MediaException(media.Path, $"synthetic decode failure at element {i}");
            }
            OnFrame?.Invoke(media.Path, i);
            await Task.Yield();
            await room.TakeAsync(cancellationToken);
            yield return VideoFrame.FromPixels(pixels, 64, 48, i * 5, i / 6.0, room);
        }
        ended(new DecodeEnd(FramesPerVideo * 5, -1));
    }
}
