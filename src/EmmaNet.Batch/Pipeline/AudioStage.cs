using System.Threading.Channels;
using EmmaNet.Batch.Audio;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The voice features, as the stage right after decoding: a video's start marker starts its audio (its own ffmpeg
/// reading the sound, the voice activity network, DeepSpectrum or log-mel) beside the frames, and its end marker
/// leaves carrying the steps to come. Frames pass untouched. The audio reads on past the container's duration until
/// the end marker says where the video ends; a video whose decoding failed has its audio stopped. The steps wait on
/// disk in <paramref name="spillFolder"/> (<see cref="AudioSteps"/>).
/// </summary>
internal sealed class AudioStage(AudioFeatureExtractor extractor, string spillFolder)
{
    /// <summary>One video's audio being read: its steps to come, and its own stop (the reading task disposes it when it ends).</summary>
    private sealed class Running(CancellationToken runStopped)
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(runStopped);
        private int _decoded;

        public CancellationToken Token => _stop.Token;

        public Task<AudioSteps>? Steps { get; set; }

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
            if (Steps is { } steps)
            {
                await steps.ContinueWith(_ => { }, TaskScheduler.Default);
                Discard(steps);
            }
        }

        /// <summary>Called by the reading task when it ends, whatever the reason: the stop is no longer needed.</summary>
        public void ReadingEnded() => _stop.Dispose();
    }

    private readonly HashSet<Task> _live = new();

    /// <summary>Steps no one will read: disposed (their temp file deleted) once the reading ends, if it ends with them.</summary>
    public static void Discard(Task<AudioSteps>? steps) =>
        steps?.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

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
        var reading = Task.Run(async () =>
        {
            try
            {
                var steps = new AudioSteps(spillFolder, job.Input.OutputStem);
                try
                {
                    await foreach (var step in extractor.ExtractAsync(job.Media!, () => audio.Decoded ? job.TimelineSeconds : null, audioSeconds: s => job.AudioSeconds = s, cancellationToken: audio.Token))
                    {
                        steps.Add(step);
                    }
                    return steps;
                }
                catch
                {
                    steps.Dispose();
                    throw;
                }
            }
            finally
            {
                audio.ReadingEnded();
            }
        }, CancellationToken.None);
        audio.Steps = reading;
        lock (_live)
        {
            _live.Add(reading);
        }
        reading.ContinueWith(
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
