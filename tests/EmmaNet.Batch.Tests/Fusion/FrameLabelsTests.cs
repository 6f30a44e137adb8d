using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>Tick predictions spread over every original frame, worked out by hand.</summary>
public sealed class FrameLabelsTests
{
    private static TickResult Result(int subject, int tick, long frame, int label)
    {
        var probs = new float[8];
        probs[label] = 1;
        return new TickResult(subject, tick, frame, tick / 6.0, 0, [], new FusionPrediction(probs, [[], [], []]));
    }

    [Fact]
    public void A_tick_result_gives_back_the_presence_attention_and_probabilities_it_was_made_from()
    {
        const int steps = 12;
        var probs = Enumerable.Range(0, 8).Select(c => (c + 1) / 36f).ToArray();
        float[][] attention = [.. Enumerable.Range(0, 3).Select(m => Enumerable.Range(0, steps).Select(t => (m * 100) + t + 0.5f).ToArray())];
        bool[][] present = [.. Enumerable.Range(0, steps).Select(t => new[] { t % 2 == 0, t % 3 == 0, t > 7 })];

        var tick = new TickResult(4, 30, 150, 5.0, 4, present, new FusionPrediction(probs, attention));

        Assert.Equal((4, 30, 150L, 5.0, 4, steps, 7), (tick.Subject, tick.Tick, tick.FrameIndex, tick.Time, tick.FirstStep, tick.Steps, tick.Label));
        Assert.Equal(probs, Enumerable.Range(0, 8).Select(tick.Probability));
        for (var m = 0; m < 3; m++)
        {
            Assert.Equal(attention[m], Enumerable.Range(0, steps).Select(t => tick.Attention(m, t)));
            Assert.Equal(present.Select(p => p[m]), Enumerable.Range(0, steps).Select(t => tick.IsPresent(t, m)));
        }
    }

    [Fact]
    public void Tick_results_waiting_on_disk_come_back_bit_for_bit_and_their_file_goes_with_them()
    {
        using var temp = new Support.TempFolder();
        var made = Enumerable.Range(0, 5).Select(k =>
        {
            var steps = 9 + k;   // presence bytes that do not fill the last float
            var probs = Enumerable.Range(0, 8).Select(c => MathF.Sin(c + k)).ToArray();
            float[][] attention = [.. Enumerable.Range(0, 3).Select(m => Enumerable.Range(0, steps).Select(t => (m * 100) + t + (k / 7f)).ToArray())];
            bool[][] present = [.. Enumerable.Range(0, steps).Select(t => new[] { (t + k) % 2 == 0, t % 3 == 0, t > k })];
            return new TickResult(k % 2, (1 << 25) + k, 5_000_000_000L + k, (k * 0.1) + 1e-9, k - 3, present, new FusionPrediction(probs, attention));
        }).ToList();
        using (var results = new TickResults(temp.Path, "clip"))
        {
            made.ForEach(results.Add);
            Assert.Matches(@"^\.clip\.ticks\..*\.tmp$", Path.GetFileName(Assert.Single(Directory.GetFiles(temp.Path))));
            Assert.Equal(made.Count, results.Count);
            foreach (var (a, b) in made.Zip(results))
            {
                Assert.Equal((a.Subject, a.Tick, a.FrameIndex, a.Time, a.FirstStep, a.Steps, a.Label), (b.Subject, b.Tick, b.FrameIndex, b.Time, b.FirstStep, b.Steps, b.Label));
                Assert.Equal(Enumerable.Range(0, 8).Select(a.Probability), Enumerable.Range(0, 8).Select(b.Probability));
                for (var m = 0; m < 3; m++)
                {
                    Assert.Equal(Enumerable.Range(0, a.Steps).Select(t => (a.Attention(m, t), a.IsPresent(t, m))), Enumerable.Range(0, b.Steps).Select(t => (b.Attention(m, t), b.IsPresent(t, m))));
                }
            }
        }
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Frames_take_their_own_tick_and_face_less_ticks_the_nearest_predicted_one()
    {
        // 30 fps, ticks every 5 frames: tick k at frame 5k; 23 frames, so tick 4 (frame 20) covers frames 20-22.
        var ticks = Enumerable.Range(0, 5).Select(k => new TickFrame(k, 5L * k)).ToList();
        // The subject's face is seen at ticks 1 and 4 only.
        var results = new[] { Result(0, 1, 5, label: 3), Result(0, 4, 20, label: 6) };

        var frames = FrameLabels.Hold(ticks, results, frameCount: 23, wholeVideo: true).ToList();

        Assert.Equal(23, frames.Count);
        int[] expected =
        [
            3, 3, 3, 3, 3,   // tick 0 (frames 0-4): no face; nearest predicted tick is 1
            3, 3, 3, 3, 3,   // tick 1 (frames 5-9): its own prediction
            3, 3, 3, 3, 3,   // tick 2: 1 tick from tick 1, 2 from tick 4
            6, 6, 6, 6, 6,   // tick 3: 1 tick from tick 4, 2 from tick 1
            6, 6, 6,         // tick 4: its own prediction
        ];
        Assert.Equal(expected, frames.Select(f => f.Source.Label));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (long)i), frames.Select(f => f.FrameIndex));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => i is < 5 or >= 10 and < 20), frames.Select(f => f.Filled));
    }

    [Fact]
    public void A_tie_goes_to_the_earlier_tick_and_an_unseen_subject_gets_no_rows()
    {
        var ticks = Enumerable.Range(0, 3).Select(k => new TickFrame(k, 5L * k)).ToList();
        var results = new[] { Result(0, 0, 0, label: 1), Result(0, 2, 10, label: 2) };

        var frames = FrameLabels.Hold(ticks, results, frameCount: 15, wholeVideo: true).ToList();

        Assert.All(frames, f => Assert.Equal(0, f.Subject));
        // Tick 1 is one tick from both: the earlier wins.
        Assert.Equal(Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(2, 5)), frames.Select(f => f.Source.Label));
    }

    [Fact]
    public void Without_whole_video_a_subject_covers_its_first_seen_tick_to_the_end_of_its_last()
    {
        var ticks = Enumerable.Range(0, 6).Select(k => new TickFrame(k, 5L * k)).ToList();
        // Seen at ticks 1 and 3 (frames 5 and 15); tick 4 starts at frame 20.
        var results = new[] { Result(0, 1, 5, label: 1), Result(0, 3, 15, label: 2) };

        var frames = FrameLabels.Hold(ticks, results, frameCount: 30, wholeVideo: false).ToList();

        Assert.Equal(Enumerable.Range(5, 15).Select(i => (long)i), frames.Select(f => f.FrameIndex));
        Assert.Equal(Enumerable.Range(5, 15).Select(i => i is >= 10 and < 15), frames.Select(f => f.Filled));
    }
}
