using FFMpegCore;
using FFMpegCore.Pipes;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Runs one ffmpeg process whose output goes to a pipe read by <c>consume</c>, with every stderr line passed to
/// <c>onStderr</c>. Any failure becomes a one-line <see cref="MediaException"/> that quotes ffmpeg's last error line.
/// </summary>
internal static class FfmpegPipe
{
    /// <summary>How long ffmpeg gets to quit after a cancellation before it is killed.</summary>
    private static readonly TimeSpan QuitGrace = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(
        string inputPath,
        string outputFormat,
        Action<FFMpegOutputOptions> outputOptions,
        Func<Stream, CancellationToken, Task> consume,
        Action<string>? onStderr,
        CancellationToken cancellationToken)
    {
        var errorTail = new Queue<string>();
        var consumerFailure = (Exception?)null;
        // FFMpegCore cancels the sink's own token as soon as ffmpeg exits and swallows the cancellation, which would
        // silently drop frames still buffered in the pipe while our consumer waits on backpressure. The consumer
        // therefore reads to the end of the pipe under the caller's token only.
        var sink = new StreamPipeSink(async (stream, _) =>
        {
            try
            {
                await consume(stream, cancellationToken);
            }
            catch (Exception ex)
            {
                consumerFailure = ex;
                throw;
            }
        })
        { Format = outputFormat };

        var processor = FFMpegArguments
            .FromFileInput(inputPath, verifyExists: false, options => options.WithCustomArgument("-nostdin"))
            .OutputToPipe(sink, outputOptions)
            .NotifyOnStandardError(line =>
            {
                onStderr?.Invoke(line);
                if (IsErrorLine(line))
                {
                    lock (errorTail)
                    {
                        errorTail.Enqueue(line.Trim());
                        if (errorTail.Count > 8)
                        {
                            errorTail.Dequeue();
                        }
                    }
                }
            })
            .CancellableThrough(cancellationToken, QuitGrace);

        try
        {
            await processor.ProcessAsynchronously(throwOnError: true, cancellationToken: CancellationToken.None);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception ex) when (consumerFailure is MediaException or OperationCanceledException)
        {
            _ = ex;
            throw consumerFailure;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            string last;
            lock (errorTail)
            {
                last = errorTail.Count > 0 ? errorTail.Last() : consumerFailure?.Message ?? ex.Message.Split('\n')[0];
            }
            throw new MediaException(inputPath, "ffmpeg could not decode it: " + last, ex);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static bool IsErrorLine(string line) =>
        !line.Contains("showinfo", StringComparison.Ordinal) &&
        (line.Contains("rror", StringComparison.Ordinal) || line.Contains("nvalid", StringComparison.Ordinal) ||
         line.Contains("No such", StringComparison.Ordinal) || line.Contains("failed", StringComparison.OrdinalIgnoreCase) ||
         line.Contains("does not contain", StringComparison.Ordinal) || line.Contains("matches no streams", StringComparison.Ordinal));
}
