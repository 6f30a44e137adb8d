using System.Threading.Channels;
using EmmaNet.Batch.Decoding;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The pipeline's first stage: several videos decoded at once into one channel, each probed, then a start marker, its
/// face-stream frames and an end marker carrying its decode error if it had one (the other videos go on). A frame is
/// decoded only when the run's <see cref="FrameBudget"/> has room for it.
/// </summary>
internal sealed class DecodeStage(IVideoSource source, int videosInFlight, FrameBudget budget, IAnalyzeProgress? progress)
{
    public async Task RunAsync(IReadOnlyList<VideoJob> jobs, ChannelWriter<DecodedItem> output, CancellationToken cancellationToken)
    {
        try
        {
            await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, videosInFlight), CancellationToken = cancellationToken },
                async (job, ct) =>
                {
                    FaultInjection.At("decode");
                    progress?.VideoStarted(job);
                    Exception? error = null;
                    try
                    {
                        await DecodeOneAsync(job, output, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        error = ex;
                    }
                    await output.WriteAsync(new EndOfVideo(job, error), ct);
                });
            FrameBufferPool.Drain();
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
            throw;
        }
    }

    private async Task DecodeOneAsync(VideoJob job, ChannelWriter<DecodedItem> output, CancellationToken cancellationToken)
    {
        var media = await source.ProbeAsync(job.Input.Path, cancellationToken);
        job.Media = media;
        if (!media.HasAudio)
        {
            job.Warnings.Add("no audio stream: voice features will be absent");
        }
        await output.WriteAsync(new StartOfVideo(job), cancellationToken);
        var count = 0L;
        await foreach (var frame in source.ReadFramesAsync(media, FrameSampling.FaceStream, e => (job.DecodedFrames, job.LastBytePosition) = (e.Frames, e.LastBytePosition), budget, cancellationToken))
        {
            var work = new FrameWork(frame);
            try
            {
                job.LastFrameTime = frame.Timestamp;
                await output.WriteAsync(new FrameItem(job, work), cancellationToken);
                count++;
            }
            catch
            {
                work.ReleaseFrame();
                throw;
            }
        }
        if (count == 0)
        {
            throw new MediaException(job.Input.Path, "no video frame could be decoded");
        }
    }
}
