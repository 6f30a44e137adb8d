using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// What makes <c>train</c> behave like a long job: one checkpoint per fold in <paramref name="folder"/> (resumed with
/// <c>--resume</c>, replaced otherwise, removed when training ends), a live progress line (given to
/// <paramref name="liveLine"/>, which redraws it in place; an empty line clears it; null: none, as when not on a
/// terminal), and an epoch log line with the time left.
/// </summary>
public sealed class CheckpointedTrainingRun(string folder, bool resume, int maxEpochs, ILogger logger, CancellationToken cancellationToken, Action<string>? liveLine = null) : ITrainingRun
{
    private readonly Action<string>? _liveLine = liveLine;
    private readonly Stopwatch _sinceDrawn = Stopwatch.StartNew();
    private readonly List<double> _epochSeconds = new();

    public TrainingControl Control(string name, int fold, int folds, string dataIdentity)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".ckpt");
        if (File.Exists(path))
        {
            if (resume)
            {
                logger.LogInformation("Resuming {Name} from {Path}", name, path);
            }
            else
            {
                logger.LogWarning("Replacing the checkpoint {Path} of an earlier run (give --resume to continue it instead)", path);
                File.Delete(path);
            }
        }
        IProgress<TrainingProgress>? progress = _liveLine is null ? null : new Line(this, fold, folds);
        return new TrainingControl(progress, path, resume, dataIdentity, cancellationToken);
    }

    public void LogEpoch(int fold, int folds, EpochReport epoch)
    {
        var e = epoch;
        _epochSeconds.Add(e.Seconds);
        _liveLine?.Invoke("");
        logger.LogInformation("fold {Fold}/{Folds} epoch {Epoch}/{Epochs}: loss {Loss:F4}, held-out loss {Held:F4}, macro F1 {F1:F3}, learning rate {Rate:g3}, {Seconds:F1} s; at most {Left} left",
            fold, folds, e.Epoch, maxEpochs, e.TrainLoss, e.ValidLoss, e.ValidMacroF1, e.LearningRate, e.Seconds, Left(fold, folds, e.Epoch, 0));
    }

    /// <summary>Training ended and its outputs are written: the checkpoints have nothing left to resume.</summary>
    public void Finished()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Upper bound of the time left (early stopping may end folds sooner), from the mean epoch time so far.</summary>
    private string Left(int fold, int folds, int epoch, double intoEpoch)
    {
        if (_epochSeconds.Count == 0)
        {
            return "(after the first epoch)";
        }
        var epochs = (maxEpochs - epoch) + ((folds - fold) * maxEpochs);
        var seconds = Math.Max(0, (epochs * _epochSeconds.Average()) - intoEpoch);
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes:00} min") : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min {span.Seconds:00} s");
    }

    /// <summary>The live line on a terminal, redrawn at most four times a second.</summary>
    private sealed class Line(CheckpointedTrainingRun run, int fold, int folds) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (run._sinceDrawn.ElapsedMilliseconds < 250 && p.Batch != p.Batches)
            {
                return;
            }
            run._sinceDrawn.Restart();
            var last = p.Last is { } e ? string.Create(CultureInfo.InvariantCulture, $", last epoch: held-out loss {e.ValidLoss:F4}, macro F1 {e.ValidMacroF1:F3}") : "";
            var left = run._epochSeconds.Count == 0 ? "" : ", at most " + run.Left(fold, folds, p.Epoch - 1, p.EpochSeconds) + " left";
            run._liveLine!(string.Create(CultureInfo.InvariantCulture, $"fold {fold}/{folds} epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches} ({100.0 * p.Batch / p.Batches:F0}%){last}{left}"));
        }
    }
}
