using EmmaNet.Batch.Decoding;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// Runs one frame network's stage on a batch that mixes videos and, when the batch throws, pins the failure on the
/// video whose frames cause it: each video's frames are run again alone, and a video that throws alone fails (its
/// error kept for its end marker) while the others go on. A failure that no video explains, every video of a mixed
/// batch failing alone, or two batches in a row where nothing ran, is about the network itself and ends the run.
/// </summary>
internal sealed class FrameStageIsolation(FrameAnalyzer.Stage stage)
{
    private int _batchesWithNothingRun;

    /// <summary>Runs the stage on <paramref name="frames"/>; the videos it failed on are added to <paramref name="failed"/>.</summary>
    public void Run(IReadOnlyList<FrameItem> frames, Dictionary<VideoJob, Exception> failed)
    {
        if (frames.Count == 0)
        {
            return;
        }
        try
        {
            stage.Run(frames.Select(f => f.Work).ToList());
            _batchesWithNothingRun = 0;
        }
        catch (Exception batchError) when (batchError is not OperationCanceledException)
        {
            var videos = frames.Select(f => f.Job).Distinct().ToList();
            var anyRan = false;
            foreach (var job in videos)
            {
                try
                {
                    stage.Run(frames.Where(f => f.Job == job).Select(f => f.Work).ToList());
                    anyRan = true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    var cause = ex.GetBaseException();
                    failed[job] = new MediaException(job.Input.Path, $"the {stage.Name} network failed on its frames: {cause.GetType().Name}: {FirstLine(cause.Message)}", ex);
                }
            }
            if (anyRan)
            {
                _batchesWithNothingRun = 0;
            }
            else if (videos.Count > 1 || ++_batchesWithNothingRun >= 2)
            {
                throw;
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd();
}
