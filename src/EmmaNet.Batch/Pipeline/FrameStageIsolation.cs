using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Features;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// Runs the frame networks on a batch that mixes videos and, when the batch throws, pins the failure on the video
/// whose frames cause it: each video's frames are run again alone, and a video that throws alone fails (its error
/// kept for its end marker) while the others go on. A failure that no video explains, every video of a mixed batch
/// failing alone, or two batches in a row where nothing ran, is about the networks themselves and ends the run.
/// </summary>
internal sealed class FrameStageIsolation(FrameAnalyzer analyzer)
{
    private int _batchesWithNothingRun;

    /// <returns>One result per frame, null for the frames of a video that failed.</returns>
    public FrameResult?[] Analyze(IReadOnlyList<(VideoJob Job, VideoFrame Frame)> frames, Dictionary<VideoJob, Exception> failed)
    {
        if (frames.Count == 0)
        {
            return [];
        }
        try
        {
            var results = analyzer.Analyze(frames.Select(f => f.Frame).ToList());
            _batchesWithNothingRun = 0;
            return results;
        }
        catch (Exception batchError) when (batchError is not OperationCanceledException)
        {
            var results = new FrameResult?[frames.Count];
            var videos = frames.Select(f => f.Job).Distinct().ToList();
            var anyRan = false;
            foreach (var job in videos)
            {
                var mine = Enumerable.Range(0, frames.Count).Where(i => frames[i].Job == job).ToList();
                try
                {
                    var alone = analyzer.Analyze(mine.Select(i => frames[i].Frame).ToList());
                    for (var k = 0; k < mine.Count; k++)
                    {
                        results[mine[k]] = alone[k];
                    }
                    anyRan = true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failed[job] = new MediaException(job.Input.Path, $"the frame networks failed on its frames: {ex.GetBaseException().GetType().Name}: {FirstLine(ex.GetBaseException().Message)}", ex);
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
            return results;
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd();
}
