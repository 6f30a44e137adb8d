using System.Threading.Channels;
using EmmaNet.Batch.Audio;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The voice features, as the stage right after decoding: a video's start marker starts its audio (its own ffmpeg
/// reading the sound, the voice activity network, DeepSpectrum or log-mel) beside the frames, and its end marker
/// leaves carrying the steps to come. Frames pass untouched. The audio reads on past the container's duration until
/// the end marker says where the video ends; a video whose decoding failed has its audio stopped.
/// </summary>
internal sealed class AudioStage(AudioFeatureExtractor extractor)
{
    /// <summary>One video's audio being read: its steps to come, and its own stop (the reading task disposes it when it ends).</summary>
    private sealed class Running(CancellationToken runStopped)
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(runStopped);
        private int _decoded;

        public CancellationToken Token => _stop.Token;

        public Task<IReadOnlyList<AudioStep>> Steps { get; set; } = Task.FromResult<IReadOnlyList<AudioStep>>([]);

        /// <summary>Whether the video's frames are all decoded (its length known).</summary>
        public bool Decoded => Volatile.Read(ref _decoded) == 1;

        public void MarkDecoded() => Volatile.Write(ref _decoded, 1);

        public async Task StopAsync()
        {
            try
            {
                await _stop.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It had already finished.
            }
            await Steps.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        /// <summary>Called by the reading task when it ends, whatever the reason: the stop is no longer needed.</summary>
        public void ReadingEnded() => _stop.Dispose();
    }

    private readonly HashSet<Task> _live = new();

    /// <summary>
    /// Waits for every video's audio still running (when the run ends, however it ends; a stopped run's are cancelled
    /// with it): no ffmpeg outlives the run.
    /// </summary>
    public async Task WaitAllAsync()
    {
        Task[] live;
        lock (_live)
        {
            live = [.. _live];
        }
        await Task.WhenAll(live).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async Task RunAsync(ChannelReader<DecodedItem> input, ChannelWriter<DecodedItem> output, CancellationToken cancellationToken)
    {
        var running = new Dictionary<VideoJob, Running>();
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken))
            {
                switch (item)
                {
                    case StartOfVideo start:
                        FaultInjection.At("audio");
                        running[start.Job] = Start(start.Job, cancellationToken);
                        await output.WriteAsync(item, cancellationToken);
                        break;
                    case EndOfVideo end when running.Remove(end.Job, out var audio):
                        if (end.Error is null)
                        {
                            audio.MarkDecoded();
                            await output.WriteAsync(end with { Audio = audio.Steps }, cancellationToken);
                        }
                        else
                        {
                            await audio.StopAsync();
                            await output.WriteAsync(end, cancellationToken);
                        }
                        break;
                    default:
                        await output.WriteAsync(item, cancellationToken);
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
            // Stopped early: the videos still decoding need no voice.
            foreach (var audio in running.Values)
            {
                await audio.StopAsync();
            }
        }
    }

    private Running Start(VideoJob job, CancellationToken cancellationToken)
    {
        var audio = new Running(cancellationToken);
        audio.Steps = Task.Run(async () =>
        {
            try
            {
                var steps = new List<AudioStep>();
                await foreach (var step in extractor.ExtractAsync(job.Media!, () => audio.Decoded ? job.TimelineSeconds : null, audioSeconds: s => job.AudioSeconds = s, cancellationToken: audio.Token))
                {
                    steps.Add(step);
                }
                return (IReadOnlyList<AudioStep>)steps;
            }
            finally
            {
                audio.ReadingEnded();
            }
        }, CancellationToken.None);
        lock (_live)
        {
            _live.Add(audio.Steps);
        }
        audio.Steps.ContinueWith(
            t =>
            {
                lock (_live)
                {
                    _live.Remove(t);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return audio;
    }
}
