using System.Threading.Channels;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// One frame network as a stage of the pipeline, on a thread of its own (its network calls block for milliseconds at a
/// time; on the thread pool five such stages would wait for it to grow): takes whatever frames are waiting, up to one
/// batch, from any video; runs the network (<see cref="FrameStageIsolation"/> pins a failure on the video that causes
/// it) and passes frames and markers on in order. A video the network failed on loses its later frames here and its
/// end marker carries the error. A frame that no later stage reads gives its pixels back here (so the last stage
/// releases every frame's pixels, and hands the writer its result).
/// </summary>
/// <param name="later">The stages after this one: a frame none of them reads gives its pixels back here.</param>
internal sealed class FrameNetworkStage(FrameAnalyzer.Stage stage, int batchSize, IReadOnlyList<FrameAnalyzer.Stage> later)
{
    public string Name => stage.Name;

    /// <summary>Runs until the input completes; the output is completed with the failure that stops the stage, if any.</summary>
    public Task RunAsync(ChannelReader<DecodedItem> input, ChannelWriter<DecodedItem> output, CancellationToken cancellationToken) =>
        OnOwnThread(() => Loop(input, item => Write(output, item, cancellationToken), output.TryComplete, cancellationToken));

    /// <summary>As <see cref="RunAsync"/>, as the last frame network: frames leave as results, their pixels released.</summary>
    public Task RunLastAsync(ChannelReader<DecodedItem> input, ChannelWriter<DetectedItem> output, CancellationToken cancellationToken) =>
        OnOwnThread(() => Loop(input, item =>
        {
            if (ToResult(item) is { } result)
            {
                Write(output, result, cancellationToken);
            }
        }, output.TryComplete, cancellationToken));

    /// <summary>What the writer gets for an item: frames as results (pixels released), end markers; start markers end here.</summary>
    private static DetectedItem? ToResult(DecodedItem item)
    {
        switch (item)
        {
            case FrameItem f:
                f.Work.ReleaseFrame();
                return new DetectedFrame(f.Job, f.Work.Result());
            case EndOfVideo e:
                return new DetectedEnd(e.Job, e.Error, e.Audio);
            case StartOfVideo:
                return null;
            default:
                throw new InvalidOperationException(item.GetType().Name);
        }
    }

    private Task OnOwnThread(Action loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop();
                done.SetResult();
            }
            catch (OperationCanceledException ex)
            {
                done.SetCanceled(ex.CancellationToken);
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = "emmanet " + stage.Name };
        thread.Start();
        return done.Task;
    }

    private static void Write<T>(ChannelWriter<T> output, T item, CancellationToken cancellationToken)
    {
        var write = output.WriteAsync(item, cancellationToken);
        if (!write.IsCompletedSuccessfully)
        {
            write.AsTask().GetAwaiter().GetResult();
        }
    }

    private void Loop(ChannelReader<DecodedItem> input, Action<DecodedItem> forward, Func<Exception?, bool> complete, CancellationToken cancellationToken)
    {
        var pending = new List<DecodedItem>(batchSize * 2);
        var failed = new Dictionary<VideoJob, Exception>();   // videos this network failed on: their later frames are dropped
        var isolation = new FrameStageIsolation(stage);
        try
        {
            while (input.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                // Take what is waiting, up to one batch of frames (markers ride along in order).
                var frames = 0;
                while (frames < batchSize && input.TryRead(out var item))
                {
                    if (item is FrameItem dropped && failed.ContainsKey(dropped.Job))
                    {
                        dropped.Work.ReleaseFrame();
                        continue;
                    }
                    pending.Add(item);
                    frames += item is FrameItem ? 1 : 0;
                }
                FaultInjection.At(stage.Name);
                isolation.Run(pending.OfType<FrameItem>().ToList(), failed);
                for (var i = 0; i < pending.Count; i++)
                {
                    var item = pending[i];
                    if (item is FrameItem f && failed.ContainsKey(f.Job))
                    {
                        f.Work.ReleaseFrame();
                    }
                    else if (item is FrameItem last && !later.Any(next => next.Reads(last.Work)))
                    {
                        // No later stage reads its pixels: released now, while what was found goes on.
                        last.Work.ReleaseFrame();
                        forward(item);
                    }
                    else if (item is EndOfVideo e && failed.Remove(e.Job, out var why))
                    {
                        forward(e with { Error = e.Error ?? why });
                    }
                    else
                    {
                        forward(item);
                    }
                    pending[i] = null!;   // handed on: no longer this stage's to release
                }
                pending.Clear();
            }
            complete(null);
        }
        catch (Exception ex)
        {
            Release(pending);
            while (input.TryRead(out var left))
            {
                Release([left]);
            }
            complete(ex);
            throw;
        }
    }

    private static void Release(List<DecodedItem> items)
    {
        foreach (var item in items)
        {
            (item as FrameItem)?.Work.ReleaseFrame();
        }
        items.Clear();
    }
}
