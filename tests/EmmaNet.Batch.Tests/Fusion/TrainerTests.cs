using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Fusion;

public sealed class TrainerTests
{
    [Fact]
    public void Training_is_the_same_on_one_thread_or_two()
    {
        var settings = new CueExperiment.Settings(Train: 64, Test: 32, Steps: 6, Size: 5, Hidden: 4);
        var data = CueExperiment.Generate(96, settings, seed: 1).Select(w => new LabelledRun([w.Window], [w.Label])).ToList();
        double[][] Train(int threads)
        {
            var network = new FusionNetwork(new FusionConfig(Steps: 6, FaceSize: 5, AudioSize: 5, PoseSize: 5, Hidden: 4, KeySize: 3, HeadHidden: 8), seed: 2);
            new FusionTrainer(network, new TrainingOptions(Epochs: 3, RunsPerBatch: 8, Threads: threads)).Train(data.Take(64).ToList(), data.Skip(64).ToList());
            return network.Params.Select(p => p.Value.ToArray()).ToArray();
        }
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Length, two.Length);
        for (var p = 0; p < one.Length; p++)
        {
            Assert.Equal(one[p], two[p]);
        }
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
