using System.Threading.Channels;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Tests.Pipeline;

/// <summary>A frame's pixels go back to the pool after the last stage that reads them, and what was found goes on.</summary>
public sealed class FrameNetworkStageTests
{
    private static readonly VideoJob Job = new(new VideoInput("/synthetic/a.mp4", "a", "a"), "/synthetic/a.faces.parquet");

    /// <summary>Frames 0..count-1 at 6 Hz: ticks 0, 3, 6, ... fall on the 2 Hz steps.</summary>
    private static List<FrameWork> Frames(int count) =>
        Enumerable.Range(0, count).Select(i => new FrameWork(VideoFrame.FromPixels(new byte[8 * 6 * 3], 8, 6, i, i / 6.0))).ToList();

    private static async Task<List<FrameWork>> RunOneStage(List<FrameWork> frames, IReadOnlyList<FrameAnalyzer.Stage> later)
    {
        // The stage under test "finds" no faces on odd frames and one face on even ones.
        var stage = new FrameAnalyzer.Stage("test", batch =>
        {
            foreach (var f in batch)
            {
                f.Faces = f.Frame.FrameIndex % 2 == 0 ? [new FaceDetection(0, 0, 4, 4, 0.9f, new float[12])] : [];
            }
        }, _ => true);
        var input = Channel.CreateUnbounded<DecodedItem>();
        var output = Channel.CreateUnbounded<DecodedItem>();
        foreach (var f in frames)
        {
            input.Writer.TryWrite(new FrameItem(Job, f));
        }
        input.Writer.TryWrite(new EndOfVideo(Job, null));
        input.Writer.Complete();
        await new FrameNetworkStage(stage, 4, later).RunAsync(input.Reader, output.Writer, CancellationToken.None);
        var passed = new List<FrameWork>();
        await foreach (var item in output.Reader.ReadAllAsync())
        {
            if (item is FrameItem f)
            {
                passed.Add(f.Work);
            }
        }
        return passed;
    }

    private static bool HasPixels(FrameWork work)
    {
        try
        {
            _ = work.Frame;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Frames_only_step_stages_follow_keep_their_pixels_on_steps_alone()
    {
        var stepsOnly = new FrameAnalyzer.Stage("pose", _ => { }, f => f.IsStep);
        var passed = await RunOneStage(Frames(12), [stepsOnly]);

        Assert.Equal(12, passed.Count);
        Assert.All(passed, f => Assert.NotNull(f.Faces));
        Assert.Equal([0, 3, 6, 9], passed.Where(HasPixels).Select(f => (int)f.Result().FrameIndex));
    }

    [Fact]
    public async Task Frames_without_faces_give_their_pixels_back_when_only_face_stages_follow()
    {
        var faceStage = new FrameAnalyzer.Stage("mesh", _ => { }, f => f.Faces is { Count: > 0 });
        var passed = await RunOneStage(Frames(6), [faceStage]);

        Assert.Equal([0, 2, 4], passed.Where(HasPixels).Select(f => (int)f.Result().FrameIndex));
    }

    [Fact]
    public async Task The_last_stage_gives_every_frame_back_and_a_stage_reading_all_keeps_them()
    {
        Assert.DoesNotContain(await RunOneStage(Frames(6), []), HasPixels);
        Assert.All(await RunOneStage(Frames(6), [new FrameAnalyzer.Stage("all", _ => { }, _ => true)]), f => Assert.True(HasPixels(f)));
    }
}
