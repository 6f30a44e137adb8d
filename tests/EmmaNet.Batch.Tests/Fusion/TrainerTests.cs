using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Fusion.Batched;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Fusion;

public sealed class TrainerTests
{
    private static readonly FusionConfig Small = new(Steps: 6, FaceSize: 5, AudioSize: 5, PoseSize: 5, Hidden: 4, KeySize: 3, HeadHidden: 8);

    private static List<LabelledRun> CueRuns(int count, int seed) =>
        CueExperiment.Generate(count, new CueExperiment.Settings(Steps: 6, Size: 5, Hidden: 4), seed).Select(w => new LabelledRun([w.Window], [w.Label])).ToList();

    private static double[][] Values(FusionNetwork network) => network.Params.Select(p => p.Value.ToArray()).ToArray();

    [Fact]
    public void Training_is_the_same_on_one_thread_or_three()
    {
        var data = CueRuns(96, seed: 1);
        double[][] Train(int threads)
        {
            var network = new FusionNetwork(Small, seed: 2);
            // 40 single-window runs per batch: three shards, so threads really split the work.
            new FusionTrainer(network, new TrainingOptions(Epochs: 3, RunsPerBatch: 40, Threads: threads)).Train(data.Take(64).ToList(), data.Skip(64).ToList());
            return Values(network);
        }
        Assert.Equal(Train(1), Train(3));
    }

    [Fact]
    public void Training_lowers_the_loss_on_learnable_data()
    {
        var settings = new CueExperiment.Settings(Steps: 6, Size: 5, Hidden: 6);
        var data = CueExperiment.Generate(200, settings, seed: 4).Select(w => new LabelledRun([w.Window], [w.Label])).ToList();
        var network = new FusionNetwork(new FusionConfig(Steps: 6, FaceSize: 5, AudioSize: 5, PoseSize: 5, Hidden: 6, KeySize: 4, HeadHidden: 16, BidirectionalContext: true), seed: 2);
        var history = new FusionTrainer(network, new TrainingOptions(Epochs: 8, RunsPerBatch: 8, LearningRate: 5e-3)).Train(data.Take(160).ToList(), data.Skip(160).ToList());
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss * 0.7, $"loss {history[0].TrainLoss:F3} -> {history[^1].TrainLoss:F3}");
    }

    [Fact]
    public void A_run_cancelled_mid_epoch_and_resumed_ends_exactly_like_an_uninterrupted_one()
    {
        using var folder = new TempFolder();
        var data = CueRuns(120, seed: 5);
        var (train, valid) = (data.Take(96).ToList(), data.Skip(96).ToList());
        var options = new TrainingOptions(Epochs: 5, RunsPerBatch: 8, Patience: 1, StopPatience: 10, Seed: 3);

        var whole = new FusionNetwork(Small, seed: 2);
        var wholeHistory = new FusionTrainer(whole, options).Train(train, valid, control: new TrainingControl(Checkpoint: folder.File("whole.ckpt")));

        // Cancelled during epoch 3, batch 5: epochs 1 and 2 are in the checkpoint, epoch 3's first batches are lost.
        var path = folder.File("interrupted.ckpt");
        using var cancel = new CancellationTokenSource();
        var stopAt = new Progress(p =>
        {
            if (p.Epoch == 3 && p.Batch == 4)
            {
                cancel.Cancel();
            }
        });
        var first = new FusionNetwork(Small, seed: 2);
        var batches = 0;
        Assert.Throws<OperationCanceledException>(() => new FusionTrainer(first, options).Train(train, valid, control: new TrainingControl(new Counting(stopAt, () => batches++), path, Cancellation: cancel.Token)));
        Assert.Equal(2 * 12 + 4, batches);   // stopped before the fifth batch of epoch 3
        Assert.Equal(2, TrainingCheckpoint.Load(path).Epoch);

        var resumed = new FusionNetwork(Small, seed: 9);   // other initial values: everything must come from the checkpoint
        var resumedHistory = new FusionTrainer(resumed, options with { Threads = 1 }).Train(train, valid, control: new TrainingControl(Checkpoint: path, Resume: true));
        Assert.Equal(wholeHistory.Select(e => (e.Epoch, e.TrainLoss, e.ValidLoss, e.LearningRate)), resumedHistory.Select(e => (e.Epoch, e.TrainLoss, e.ValidLoss, e.LearningRate)));
        Assert.Equal(Values(whole), Values(resumed));
        Assert.True(TrainingCheckpoint.Load(path).Finished);

        // A finished checkpoint resumes to the same model without training.
        var again = new FusionNetwork(Small, seed: 11);
        Assert.Equal(5, new FusionTrainer(again, options).Train(train, valid, control: new TrainingControl(Checkpoint: path, Resume: true)).Count);
        Assert.Equal(Values(whole), Values(again));
    }

    [Fact]
    public void A_checkpoint_of_other_settings_or_data_is_refused_by_name()
    {
        using var folder = new TempFolder();
        var data = CueRuns(40, seed: 6);
        var path = folder.File("run.ckpt");
        var options = new TrainingOptions(Epochs: 1, RunsPerBatch: 8);
        new FusionTrainer(new FusionNetwork(Small, seed: 2), options).Train(data.Take(32).ToList(), data.Skip(32).ToList(), control: new TrainingControl(Checkpoint: path));

        var otherRate = Assert.Throws<InvalidDataException>(() => new FusionTrainer(new FusionNetwork(Small, seed: 2), options with { LearningRate = 0.02 })
            .Train(data.Take(32).ToList(), data.Skip(32).ToList(), control: new TrainingControl(Checkpoint: path, Resume: true)));
        Assert.Contains("options was", otherRate.Message, StringComparison.Ordinal);
        Assert.Contains("LearningRate = 0.02", otherRate.Message, StringComparison.Ordinal);

        var otherData = Assert.Throws<InvalidDataException>(() => new FusionTrainer(new FusionNetwork(Small, seed: 2), options)
            .Train(data.Skip(8).Take(32).ToList(), data.Skip(32).ToList(), control: new TrainingControl(Checkpoint: path, Resume: true)));
        Assert.Contains("train was", otherData.Message, StringComparison.Ordinal);

        File.WriteAllText(path, "not a checkpoint");
        var damaged = Assert.Throws<InvalidDataException>(() => new FusionTrainer(new FusionNetwork(Small, seed: 2), options)
            .Train(data.Take(32).ToList(), data.Skip(32).ToList(), control: new TrainingControl(Checkpoint: path, Resume: true)));
        Assert.Contains(path, damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Windows_copied_from_held_features_equal_the_windows_built_from_them()
    {
        var config = new FusionConfig(Steps: 12, FaceSize: 263, AudioSize: 256, PoseSize: 51, Hidden: 8, KeySize: 4, HeadHidden: 8);
        var track = SyntheticFeatures.Tracks(400, 400, seed: 8, config).Single();
        var run = track.Runs(config.Steps, 8).Skip(3).First();
        var direct = new WindowBatch(config);
        direct.Reset(run.Windows.Count);
        var converted = new WindowBatch(config);
        converted.Reset(run.Windows.Count);
        var built = run.Windows.ToList();   // FusionWindow objects: the double path
        for (var i = 0; i < run.Windows.Count; i++)
        {
            direct.Put(run.Windows, i, i);
            converted.Put(built, i, i);
        }
        Assert.Equal(converted.Face.ToArray(), direct.Face.ToArray());
        Assert.Equal(converted.Audio.ToArray(), direct.Audio.ToArray());
        Assert.Equal(converted.Pose.ToArray(), direct.Pose.ToArray());
        Assert.Equal(converted.FaceNow.ToArray(), direct.FaceNow.ToArray());
        for (var i = 0; i < run.Windows.Count; i++)
        {
            for (var t = 0; t < config.Steps; t++)
            {
                for (var m = 0; m < 3; m++)
                {
                    Assert.Equal(converted.IsPresent(i, t, m), direct.IsPresent(i, t, m));
                }
            }
        }
        // The track's first window reaches before the video's start: absent steps are zeros.
        var firstRun = track.Runs(config.Steps, 8).First();
        var edge = new WindowBatch(config);
        edge.Reset(1);
        edge.Put(firstRun.Windows, 0, 0);
        Assert.False(edge.IsPresent(0, 0, 0));
        Assert.All(edge.FaceStep(0, 0).ToArray(), v => Assert.Equal(0, v));
    }

    private sealed class Progress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }

    private sealed class Counting(IProgress<TrainingProgress> inner, Action count) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            count();
            inner.Report(value);
        }
    }
}

public sealed class ExpressionMetricsTests
{
    [Fact]
    public void Per_class_f1_accuracy_and_macro_f1_match_a_hand_computation()
    {
        // Truth and predictions for 10 frames, two of them unlabelled (-1).
        int[] truth = [0, 0, 0, 1, 1, 4, 4, -1, 5, -1];
        int[] predicted = [0, 0, 1, 1, 0, 4, 5, 3, 5, 7];
        var m = ExpressionMetrics.Compute(truth, predicted);
        // By hand, over the 8 labelled frames:
        // class 0: tp 2, fp 1 (frame 4), fn 1 (frame 2) -> F1 = 4 / (4 + 1 + 1) = 0.6667
        // class 1: tp 1, fp 1 (frame 2), fn 1 (frame 4) -> 2 / 4 = 0.5
        // class 4: tp 1, fp 0, fn 1 (frame 6) -> 2 / 3 = 0.6667
        // class 5: tp 1, fp 1 (frame 6), fn 0 -> 2 / 3 = 0.6667
        // classes 2, 3, 6, 7: never present; 3 and 7 are predicted only on unlabelled frames, which do not count: 0.
        Assert.Equal(8, m.Count);
        Assert.Equal([2.0 / 3, 0.5, 0, 0, 2.0 / 3, 2.0 / 3, 0, 0], m.F1.Select(f => Math.Round(f, 10)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.Equal(5.0 / 8, m.Accuracy, 12);
        Assert.Equal(((2.0 / 3 * 3) + 0.5) / 8, m.MacroF1, 12);
        Assert.Equal(1, m.Confusion[1, 0]);
    }

    [Fact]
    public void Stability_is_the_share_of_unchanged_consecutive_labels() =>
        Assert.Equal(3.0 / 5, ExpressionMetrics.Stability([1, 1, 2, 2, 2, 3]), 12);
}
