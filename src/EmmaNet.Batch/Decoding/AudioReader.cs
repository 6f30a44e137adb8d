using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace EmmaNet.Batch.Decoding;

/// <summary>Streams a file's first audio track as mono float samples at a fixed rate (16 kHz by default), in chunks.</summary>
public static class AudioReader
{
    public const int DefaultSampleRate = 16000;

    /// <summary>Yields consecutive chunks of <paramref name="chunkSamples"/> samples (the last one may be shorter).</summary>
    public static async IAsyncEnumerable<float[]> ReadAsync(
        MediaInfo media,
        int sampleRate = DefaultSampleRate,
        int chunkSamples = DefaultSampleRate,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!media.HasAudio)
        {
            throw new MediaException(media.Path, "no audio stream");
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<float[]>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var decode = Task.Run(async () =>
        {
            try
            {
                await FfmpegProcess.RunAsync(
                    media.Path,
                    ["-vn", "-sn", "-dn", "-ac", "1", "-ar", sampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", "f32le", "-acodec", "pcm_f32le"],
                    (stream, ct) => PumpAsync(stream, chunks.Writer, chunkSamples, ct),
                    null,
                    stop.Token);
                chunks.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                chunks.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var chunk in chunks.Reader.ReadAllAsync(cancellationToken))
            {
                yield return chunk;
            }
        }
        finally
        {
            stop.Cancel();
            await decode;
        }
    }

    private static async Task PumpAsync(Stream stream, ChannelWriter<float[]> writer, int chunkSamples, CancellationToken cancellationToken)
    {
        var bytes = new byte[chunkSamples * sizeof(float)];
        while (true)
        {
            var read = await stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken);
            var samples = read / sizeof(float);
            if (samples == 0)
            {
                return;
            }
            var chunk = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, samples * sizeof(float))).ToArray();
            await writer.WriteAsync(chunk, cancellationToken);
            if (read < bytes.Length)
            {
                return;
            }
        }
    }
}
