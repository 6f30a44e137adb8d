using System.Threading.Channels;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// Between the assembly and the writer when <c>analyze</c> predicts: face rows pass through; the videos waiting
/// together get their windows cut into ONNX Runtime calls of up to <paramref name="windowsPerCall"/> windows (a call
/// may hold the end of one video and the start of the next), and go on with their predictions. Features are built a
/// subject at a time and windows as calls are filled, so memory holds one subject's features and one call's windows,
/// not a video's; the predictions wait on disk in <paramref name="spillFolder"/> until the writer takes them
/// (<see cref="TickResults"/>).
/// </summary>
internal sealed class FusionStage(FusionModel model, int windowsPerCall, string spillFolder)
{
    /// <summary>Items taken at once at most: the videos among them share calls.</summary>
    private const int MaxWaiting = 256;

    /// <summary>The video's ticks a part of a subject's features holds: a minute of the 6 Hz face stream.</summary>
    private const int TicksPerPart = 360;

    public async Task RunAsync(ChannelReader<AssembledItem> input, ChannelWriter<AssembledItem> output, CancellationToken cancellationToken)
    {
        try
        {
            while (await input.WaitToReadAsync(cancellationToken))
            {
                FaultInjection.At("fusion");
                var ready = new List<AssembledItem>();
                while (ready.Count < MaxWaiting && input.TryRead(out var item))
                {
                    ready.Add(item);
                }
                var videos = ready.OfType<AssembledVideo>().Where(v => v is { Failure: null, Features: not null }).ToList();
                var fused = videos.Count == 0 ? [] : Fuse(videos, cancellationToken);
                foreach (var item in ready)
                {
                    await output.WriteAsync(item is AssembledVideo video && fused.TryGetValue(video, out var done) ? done : item, cancellationToken);
                }
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Each video with its predictions, or with the reason its windows could not be built or kept.</summary>
    private Dictionary<AssembledVideo, AssembledVideo> Fuse(List<AssembledVideo> videos, CancellationToken cancellationToken)
    {
        // A video whose features break the window building, or whose predictions cannot be spilled, fails alone; the
        // others' calls go on.
        var failed = new Exception?[videos.Count];
        var tickFrames = videos.Select(_ => new SortedDictionary<int, long>()).ToArray();
        var results = new List<TickResults>(videos.Count);
        var call = new List<(int Video, TickWindow Window)>(windowsPerCall);
        void Flush()
        {
            var predictions = model.Run(call.Select(c => c.Window.Window).ToList());
            for (var i = 0; i < call.Count; i++)
            {
                var (video, w) = call[i];
                try
                {
                    if (failed[video] is null)
                    {
                        results[video].Add(new TickResult(w.Subject, w.Tick, w.FrameIndex, w.Time, w.FirstStep, w.Window.Present, predictions[i]));
                    }
                }
                catch (IOException ex)
                {
                    failed[video] = ex;
                }
            }
            call.Clear();
        }
        try
        {
            for (var v = 0; v < videos.Count; v++)
            {
                results.Add(new TickResults(spillFolder, videos[v].Job.Input.OutputStem));
                // Only building this video's features and windows is this video's failure; a failing call is the model's, and ends the run.
                using var windows = Windows(videos[v].Features!, tickFrames[v]).GetEnumerator();
                while (true)
                {
                    try
                    {
                        if (!windows.MoveNext())
                        {
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        failed[v] = ex;
                        break;
                    }
                    call.Add((v, windows.Current));
                    if (call.Count == windowsPerCall)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Flush();
                    }
                }
            }
            if (call.Count > 0)
            {
                Flush();
            }
        }
        catch
        {
            results.ForEach(r => r.Dispose());
            throw;
        }
        var fused = new Dictionary<AssembledVideo, AssembledVideo>(ReferenceEqualityComparer.Instance);
        for (var v = 0; v < videos.Count; v++)
        {
            if (failed[v] is { } error)
            {
                results[v].Dispose();
                fused[videos[v]] = videos[v] with { Failure = $"{videos[v].Job.Input.Path}: {error.GetType().Name} while fusing: {error.Message}" };
            }
            else
            {
                // The writer disposes the predictions (and their temp file) once written.
                fused[videos[v]] = videos[v] with { Predictions = new VideoPredictions(results[v], [.. tickFrames[v].Select(t => new TickFrame(t.Key, t.Value))]) };
            }
        }
        return fused;
    }

    /// <summary>
    /// A video's windows, subject after subject and a minute of ticks at a time: each part's features are built when
    /// its turn comes and dropped after its windows, so what the end of a long video holds does not grow with it
    /// (a whole subject of 30 minutes was about 15 MB of face features). The ticks each subject covers are gathered
    /// into <paramref name="tickFrames"/> (which frame each tick stands for).
    /// </summary>
    private IEnumerable<TickWindow> Windows(SubjectFeatures features, SortedDictionary<int, long> tickFrames)
    {
        // A window reaches T/2 steps either side of its tick's step; one more for rounding.
        foreach (var subject in features.Parts(TicksPerPart, (model.Steps / 2) + 1))
        {
            var series = FeatureSeries.From(subject, new Dictionary<string, string>());
            foreach (var t in series.TickFrames)
            {
                tickFrames.TryAdd(t.Tick, t.FrameIndex);
            }
            foreach (var window in FeatureWindows.Build(series, model.Steps))
            {
                yield return window;
            }
        }
    }
}
