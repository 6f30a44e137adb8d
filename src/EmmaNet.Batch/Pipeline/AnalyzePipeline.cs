using System.Threading.Channels;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// decode -> detect -> write, on bounded channels.
/// Several videos decode at once into one frame channel; the detector batches whatever frames are waiting, from any
/// video; the writer keeps one Parquet writer per open video. Each video's frames are followed by an end marker, so a
/// video that fails to decode is reported and its partial output discarded while the others go on. A stage that throws
/// completes its output channel with that exception, so no stage waits forever on a dead one.
/// </summary>
public sealed class AnalyzePipeline(IVideoSource source, IFaceDetector detector, ILogger logger)
{
    public const string FacesSuffix = ".faces.parquet";

    public async Task<IReadOnlyList<VideoOutcome>> RunAsync(IReadOnlyList<VideoInput> videos, AnalyzeOptions options, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.OutputFolder);
        var removed = AtomicFile.DeleteLeftovers(options.OutputFolder);
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} unfinished temp file(s) left by an interrupted run", removed);
        }

        var outcomes = new List<VideoOutcome>();
        var jobs = new List<VideoJob>();
        foreach (var video in videos)
        {
            var job = new VideoJob(video, Path.Combine(options.OutputFolder, video.OutputStem + FacesSuffix));
            if (!options.Force && await OutputValidator.IsCompleteAsync(job.OutputPath, FaceParquetWriter.Schema, cancellationToken))
            {
                outcomes.Add(new VideoOutcome(video, VideoStatus.Skipped, job.OutputPath, "already done", [], 0, 0));
                continue;
            }
            jobs.Add(job);
        }
        progress?.Started(jobs);
        foreach (var skipped in outcomes)
        {
            progress?.VideoFinished(skipped);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var frames = Channel.CreateBounded<DecodedItem>(new BoundedChannelOptions(options.FrameQueue) { SingleReader = true });
        var detected = Channel.CreateBounded<DetectedItem>(new BoundedChannelOptions(options.FrameQueue) { SingleReader = true, SingleWriter = true });

        var decode = StopAllOnFailure(DecodeAllAsync(jobs, options, frames.Writer, progress, stop.Token), stop);
        var detect = StopAllOnFailure(Task.Run(() => DetectAsync(frames.Reader, detected.Writer, options.DetectorBatch, stop.Token), CancellationToken.None), stop);
        var write = StopAllOnFailure(WriteAsync(detected.Reader, outcomes, progress, stop.Token), stop);
        try
        {
            await Task.WhenAll(decode, detect, write);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Rethrown with its original stack trace.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(FirstFailure(decode, detect, write)).Throw();
            throw;
        }
        return outcomes;
    }

    /// <summary>
    /// A stage that fails cancels the others at once: otherwise a producer blocked on a full channel whose consumer
    /// died would wait forever.
    /// </summary>
    private static async Task StopAllOnFailure(Task stage, CancellationTokenSource stop)
    {
        try
        {
            await stage;
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private static Exception FirstFailure(params Task[] tasks) =>
        tasks.Select(t => t.Exception?.GetBaseException()).FirstOrDefault(e => e is not null and not OperationCanceledException)
        ?? new OperationCanceledException();

    private async Task DecodeAllAsync(List<VideoJob> jobs, AnalyzeOptions options, ChannelWriter<DecodedItem> output, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        try
        {
            await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.VideosInFlight), CancellationToken = cancellationToken },
                async (job, ct) =>
                {
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
        var count = 0L;
        await foreach (var frame in source.ReadFramesAsync(media, FrameSampling.FaceStream, n => job.DecodedFrames = n, cancellationToken))
        {
            try
            {
                await output.WriteAsync(new FrameItem(job, frame), cancellationToken);
                count++;
            }
            catch
            {
                frame.Dispose();
                throw;
            }
        }
        if (count == 0)
        {
            throw new MediaException(job.Input.Path, "no video frame could be decoded");
        }
    }

    private async Task DetectAsync(ChannelReader<DecodedItem> input, ChannelWriter<DetectedItem> output, int batchSize, CancellationToken cancellationToken)
    {
        var pending = new List<DecodedItem>(batchSize * 2);
        var batch = new List<VideoFrame>(batchSize);
        try
        {
            while (await input.WaitToReadAsync(cancellationToken))
            {
                // Take what is waiting, up to one batch of frames (end markers ride along in order).
                while (batch.Count < batchSize && input.TryRead(out var item))
                {
                    pending.Add(item);
                    if (item is FrameItem f)
                    {
                        batch.Add(f.Frame);
                    }
                }
                var faces = batch.Count > 0 ? detector.Detect(batch) : [];
                var next = 0;
                foreach (var item in pending)
                {
                    DetectedItem result = item switch
                    {
                        FrameItem f => new DetectedFrame(f.Job, f.Frame.FrameIndex, f.Frame.Timestamp, f.Frame.Width, f.Frame.Height, faces[next++]),
                        EndOfVideo e => new DetectedEnd(e.Job, e.Error),
                        _ => throw new InvalidOperationException(item.GetType().Name),
                    };
                    await output.WriteAsync(result, cancellationToken);
                }
                Release(pending);
                batch.Clear();
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            Release(pending);
            while (input.TryRead(out var left))
            {
                Release([left]);
            }
            output.TryComplete(ex);
            throw;
        }
    }

    private static void Release(List<DecodedItem> items)
    {
        foreach (var item in items)
        {
            (item as FrameItem)?.Frame.Dispose();
        }
        items.Clear();
    }

    private async Task WriteAsync(ChannelReader<DetectedItem> input, List<VideoOutcome> outcomes, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        var open = new Dictionary<VideoJob, (FaceParquetWriter Writer, long Faces)>();
        var failedWhileWriting = new Dictionary<VideoJob, Exception>();
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken))
            {
                switch (item)
                {
                    case DetectedFrame frame when !failedWhileWriting.ContainsKey(frame.Job):
                        try
                        {
                            if (!open.TryGetValue(frame.Job, out var entry))
                            {
                                entry = (await FaceParquetWriter.CreateAsync(frame.Job.OutputPath, frame.Job.Input.VideoId, Metadata(frame.Job), cancellationToken), 0);
                            }
                            var media = frame.Job.Media!;
                            await entry.Writer.AddFrameAsync(frame.FrameIndex, frame.Timestamp, frame.Faces, (float)media.Width / frame.Width, (float)media.Height / frame.Height, cancellationToken);
                            open[frame.Job] = (entry.Writer, entry.Faces + frame.Faces.Count);
                            frame.Job.ProcessedFrames++;
                            progress?.FrameDone(frame.Job, frame.Timestamp);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            failedWhileWriting[frame.Job] = new IOException($"{frame.Job.OutputPath}: cannot write output: {ex.Message}", ex);
                            if (open.Remove(frame.Job, out var broken))
                            {
                                await broken.Writer.DisposeAsync();
                            }
                        }
                        break;
                    case DetectedEnd end:
                        var outcome = await FinishAsync(end, open, failedWhileWriting, cancellationToken);
                        outcomes.Add(outcome);
                        progress?.VideoFinished(outcome);
                        break;
                }
            }
        }
        finally
        {
            // Cancelled or failed upstream: nothing half-written may stay behind.
            foreach (var (writer, _) in open.Values)
            {
                await writer.DisposeAsync();
            }
        }
    }

    private async Task<VideoOutcome> FinishAsync(DetectedEnd end, Dictionary<VideoJob, (FaceParquetWriter Writer, long Faces)> open, Dictionary<VideoJob, Exception> failedWhileWriting, CancellationToken cancellationToken)
    {
        var job = end.Job;
        open.Remove(job, out var entry);
        var error = end.Error ?? (failedWhileWriting.Remove(job, out var writeError) ? writeError : null);
        if (error is null && entry.Writer is not null)
        {
            try
            {
                var final = new Dictionary<string, string>
                {
                    [OutputMetadata.Prefix + "video_frame_count"] = job.DecodedFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    [OutputMetadata.Prefix + "processed_frames"] = job.ProcessedFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                await entry.Writer.CompleteAsync(final, cancellationToken);
                logger.LogDebug("{Video}: {Frames} frames, {Faces} faces -> {Output}", job.Input.VideoId, job.ProcessedFrames, entry.Faces, job.OutputPath);
                return new VideoOutcome(job.Input, VideoStatus.Done, job.OutputPath, null, job.Warnings, job.ProcessedFrames, entry.Faces);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = new IOException($"{job.OutputPath}: cannot write output: {ex.Message}", ex);
            }
            finally
            {
                await entry.Writer.DisposeAsync();
            }
        }
        else if (entry.Writer is not null)
        {
            await entry.Writer.DisposeAsync();
        }
        var message = error switch
        {
            MediaException or IOException => error.Message,
            null => $"{job.Input.Path}: no frames reached the writer",
            _ => $"{job.Input.Path}: {error.GetType().Name}: {error.Message}",
        };
        return new VideoOutcome(job.Input, VideoStatus.Failed, null, message, job.Warnings, job.ProcessedFrames, 0);
    }

    private Dictionary<string, string> Metadata(VideoJob job)
    {
        var metadata = OutputMetadata.For(FaceParquetWriter.Schema, job.Input.VideoId, job.Media!, [("face_detector", detector.Model)]);
        metadata[OutputMetadata.Prefix + "face_stream_hz"] = FrameSampling.FaceStream.RateHz.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return metadata;
    }
}
