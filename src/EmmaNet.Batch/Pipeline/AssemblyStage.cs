using System.Globalization;
using System.Threading.Channels;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Inputs;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The per-video assembly after the frame networks: counts each video's frames and faces, tracks its faces (with
/// features), passes each frame's face rows on (when faces are written), and at a video's end checks what decoding
/// found (a cut or damaged file, audio shorter than video, a file changed while read) and hands on the video as a
/// whole: its failure, or its chosen subjects, whose features are built one subject at a time where they are read.
/// </summary>
internal sealed class AssemblyStage(AnalyzeOptions options, IReadOnlyList<string> audioColumns, CpuMeter cpu, IAnalyzeProgress? progress, ILogger logger)
{
    private sealed class Assembling : IDisposable
    {
        public FeatureAssembler? Features { get; set; }

        public string? Failure { get; set; }

        /// <summary>The features' spill file goes with a video that ends without them (failed, or the run stopped).</summary>
        public void Dispose() => Features?.Dispose();
    }

    public async Task RunAsync(ChannelReader<DetectedItem> input, ChannelWriter<AssembledItem> output, CancellationToken cancellationToken)
    {
        var open = new Dictionary<VideoJob, Assembling>();
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken))
            {
                FaultInjection.At("assemble");
                switch (item)
                {
                    case DetectedFrame frame:
                        if (!open.TryGetValue(frame.Job, out var video))
                        {
                            video = new Assembling();
                            open[frame.Job] = video;
                            video.Features = options.MakesFeatures ? new FeatureAssembler(options.Subject, options.OutputFolder, frame.Job.Input.OutputStem) : null;
                        }
                        if (video.Failure is not null)
                        {
                            break;
                        }
                        try
                        {
                            using (cpu.Measure("features"))
                            {
                                video.Features?.Add(frame.Result);
                            }
                        }
                        catch (IOException ex)
                        {
                            // The features' temp file (a full disk, say): only this video's.
                            video.Failure = $"{frame.Job.Input.Path}: {ex.Message}";
                            break;
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            // Whatever this one video's frames did to the tracking, it costs that video, not the batch.
                            video.Failure = FailureMessage(frame.Job, ex);
                            break;
                        }
                        frame.Job.ProcessedFrames++;
                        frame.Job.Faces += frame.Result.Faces.Count;
                        progress?.FrameDone(frame.Job, frame.Result.Timestamp);
                        if (options.WritesFaces)
                        {
                            await output.WriteAsync(new FaceRows(frame.Job, frame.Result), cancellationToken);
                        }
                        break;
                    case DetectedEnd end:
                        var finished = open.GetValueOrDefault(end.Job);
                        open.Remove(end.Job);
                        AssembledVideo assembled;
                        try
                        {
                            assembled = await FinishAsync(end, finished);
                        }
                        finally
                        {
                            finished?.Dispose();
                        }
                        await output.WriteAsync(assembled, cancellationToken);
                        break;
                }
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
            throw;
        }
        finally
        {
            foreach (var video in open.Values)
            {
                video.Dispose();
            }
        }
    }

    /// <summary>One line naming the file: a media or I/O error says it all; anything else names its type.</summary>
    public static string FailureMessage(VideoJob job, Exception error) => error switch
    {
        MediaException or IOException => error.Message,
        _ => $"{job.Input.Path}: {error.GetType().Name}: {error.Message}",
    };

    private async Task<AssembledVideo> FinishAsync(DetectedEnd end, Assembling? video)
    {
        var job = end.Job;
        var failure = end.Error is { } error ? FailureMessage(job, error)
            : video is null ? $"{job.Input.Path}: no frames reached the analysis"
            : video.Failure;
        if (failure is not null)
        {
            AudioStage.Discard(end.Audio);
            return new AssembledVideo(job, failure, null);
        }
        var handedOver = false;
        try
        {
            // The voice was read beside the frames; its length is known once it is done.
            var voice = end.Audio is { } steps ? await steps : null;
            AddDecodingWarnings(job);
            SubjectFeatures? features = null;
            if (video!.Features is { } assembler)
            {
                using (cpu.Measure("features"))
                {
                    // Ownership of the assembler and the voice goes with the video to the writer, which disposes
                    // them: CA2000 cannot follow that.
#pragma warning disable CA2000
                    var owned = new Owned();
                    owned.Add(assembler);
                    features = assembler.BySubject(voice is null ? [] : owned.Add(voice), audioColumns, job.DecodedFrames, job.TimelineSeconds, owner: owned);
#pragma warning restore CA2000
                }
                (video.Features, handedOver) = (null, true);   // the features own them now, and the writer disposes them
                if (assembler.OutOfOrderFrames > 0)
                {
                    job.Warnings.Add($"{assembler.OutOfOrderFrames} frame(s) with repeated or backward timestamps left out of the features (damaged timing)");
                }
            }
            logger.LogDebug("{Video}: {Frames} frames, {Faces} faces", job.Input.VideoId, job.ProcessedFrames, job.Faces);
            return new AssembledVideo(job, null, features);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "{Video}: failed while finishing", job.Input.Path);
            return new AssembledVideo(job, FailureMessage(job, ex), null);
        }
        finally
        {
            if (!handedOver)
            {
                AudioStage.Discard(end.Audio);
            }
        }
    }

    /// <summary>What decoding found about the file, as warnings (and the partial marks its outputs carry).</summary>
    private static void AddDecodingWarnings(VideoJob job)
    {
        if (Shortfall(job) is { } shortfall)
        {
            job.Partial = shortfall;
            job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"decoded {shortfall.Decoded:F1} s of the {shortfall.Promised:F1} s the container promises: the file looks cut or unfinished; its outputs are marked partial (emmanet.input.partial)"));
        }
        else if (Undecoded(job) is { } undecoded)
        {
            job.Undecoded = undecoded;
            job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"decoding stopped at byte {job.LastBytePosition:N0} of {undecoded.Size:N0} ({100.0 * undecoded.Unread / undecoded.Size:F0}% of the file not decoded): the rest looks damaged; its outputs are marked partial (emmanet.input.partial)"));
        }
        if (job.DecodedSeconds - job.Media!.VideoDuration.TotalSeconds > Tolerance(job.DecodedSeconds))
        {
            job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the container says {job.Media.VideoDuration.TotalSeconds:F1} s but {job.DecodedSeconds:F1} s of video were decoded: its duration is under-reported; every decoded frame is analysed"));
        }
        if (job.AudioSeconds is { } heard && job.DecodedSeconds - heard > Tolerance(job.DecodedSeconds))
        {
            job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the audio stream ends at {heard:F1} s of {job.DecodedSeconds:F1} s of video: the voice is absent after it"));
        }
        if (job.DecodedFrames > 1 && job.DecodedSeconds / job.DecodedFrames > SparseFrameSeconds)
        {
            job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{job.DecodedFrames} frames spread over {job.DecodedSeconds / 3600:F1} h (one every {job.DecodedSeconds / job.DecodedFrames:F0} s): the file's time base looks damaged; only the times that hold frames or sound are analysed"));
        }
        if (ChangedSince(job.Fingerprint) is { } change)
        {
            job.Warnings.Add($"the file changed while it was analysed ({change}): it may still be being written; a re-run analyses it again");
        }
    }

    /// <summary>How the input differs now from when the run fingerprinted it (a file still being written), or null.</summary>
    private static string? ChangedSince(InputFingerprint before)
    {
        if (before.Size < 0)
        {
            return null;
        }
        var now = new FileInfo(before.Path);
        return !now.Exists ? "it is gone"
            : now.Length != before.Size ? $"size {before.Size} -> {now.Length} bytes"
            : now.LastWriteTimeUtc != before.ModifiedUtc ? "its modification time moved"
            : null;
    }

    /// <summary>
    /// Decoding ended short of what the container promised by more than the larger of 1 s and 5% of it (a cut
    /// download, a file still being written): the decoded and promised seconds; null when complete.
    /// </summary>
    internal static (double Decoded, double Promised)? Shortfall(VideoJob job)
    {
        if (job.Media is not { } media || job.ProcessedFrames == 0)
        {
            return null;
        }
        var promised = media.VideoDuration > TimeSpan.Zero ? media.VideoDuration.TotalSeconds : media.Duration.TotalSeconds;
        var decoded = job.DecodedSeconds;
        return promised - decoded > Tolerance(promised) ? (decoded, promised) : null;
    }

    /// <summary>
    /// The file's bytes after the last decoded frame's packet, when more than a container's trailing index and audio
    /// can hold (the larger of 256 KiB and 10% of the file) and the audio does not run on past the video: decoding
    /// stopped early, which a container without a stated duration (MPEG-TS, say) cannot show by its promise.
    /// </summary>
    internal static (long Unread, long Size)? Undecoded(VideoJob job)
    {
        var size = job.Fingerprint.Size;
        // The audio's end: what was read, or the container's duration, which covers the longest stream (the reading stops at the video's end).
        var audioEnd = Math.Max(job.AudioSeconds ?? 0, job.Media is { HasAudio: true } m ? m.Duration.TotalSeconds : 0);
        if (job.LastBytePosition < 0 || size <= 0 || audioEnd - job.DecodedSeconds > Tolerance(job.DecodedSeconds))
        {
            return null;
        }
        var unread = size - job.LastBytePosition;
        return unread > Math.Max(256 * 1024, size / 10) ? (unread, size) : null;
    }

    /// <summary>Average seconds between decoded frames above which the time base is called damaged (no real video is that sparse).</summary>
    private const double SparseFrameSeconds = 60;

    /// <summary>A difference in seconds that counts as a shortfall: the larger of 1 s and 5% (decisions.md).</summary>
    private static double Tolerance(double seconds) => Math.Max(1.0, 0.05 * seconds);
}
