using System.Threading.Channels;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Pipeline;

/// <summary>The decode stage hands on no more frames than the run's budget until their pixels go back.</summary>
public sealed class FrameBudgetTests
{
    [Fact]
    public async Task DecodeWaitsForReleasedFramesAndEveryFrameArrives()
    {
        var job = new VideoJob(new VideoInput("/synthetic/a.mp4", "a", "a"), "/synthetic/a.faces.parquet");
        using var budget = new FrameBudget(3);
        var output = Channel.CreateUnbounded<DecodedItem>();
        var decode = new DecodeStage(new SyntheticVideoSource(10), 1, budget, null).RunAsync([job], output.Writer, CancellationToken.None);

        var held = new List<FrameWork>();
        var frames = 0;
        await foreach (var item in output.Reader.ReadAllAsync())
        {
            if (item is not FrameItem frame)
            {
                continue;
            }
            frames++;
            held.Add(frame.Work);
            if (held.Count == 3)
            {
                // Three frames hold pixels: the next must wait until one goes back.
                await Task.Delay(300);
                Assert.False(output.Reader.TryPeek(out var next) && next is FrameItem, "a fourth frame went out while three held their pixels");
                held[0].ReleaseFrame();
                held.RemoveAt(0);
            }
        }
        await decode;
        Assert.Equal(10, frames);
        held.ForEach(h => h.ReleaseFrame());
        Assert.Equal(0, budget.LetPast);
    }

    [Fact]
    public async Task AFrameNeverGivenBackCostsThePatienceNotTheRun()
    {
        using var budget = new FrameBudget(1, TimeSpan.FromMilliseconds(50));
        await budget.TakeAsync(CancellationToken.None);
        await budget.TakeAsync(CancellationToken.None);   // the first is never given back
        Assert.Equal(1, budget.Overdrawn);
        budget.Give();   // settles the overdraft, frees no place
        Assert.Equal(0, budget.Overdrawn);
        Assert.Equal(1, budget.LetPast);
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.TakeAsync(soon.Token));
        budget.Give();
        await budget.TakeAsync(CancellationToken.None);
        Assert.Equal(0, budget.Overdrawn);
    }

    [Fact]
    public void The_budget_is_a_few_frames_on_the_cpu_one_detector_batch_on_a_gpu_or_what_was_asked()
    {
        var options = new AnalyzeOptions("out", DetectorBatch: 16);
        Assert.Equal(AnalyzeOptions.CpuFramesInFlight, options.FramesInFlightFor("CPUExecutionProvider"));
        Assert.Equal(16, options.FramesInFlightFor("CUDAExecutionProvider"));
        Assert.Equal(6, (options with { FramesInFlight = 6 }).FramesInFlightFor("CPUExecutionProvider"));
    }
}
