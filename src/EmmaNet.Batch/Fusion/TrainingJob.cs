using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Fusion;

/// <summary>What a training job needs from the process that runs it: checkpoint handling and progress per fold, a log line per epoch, and the end.</summary>
public interface ITrainingRun
{
    TrainingControl Control(string name, int fold, int folds, string dataIdentity);

    void LogEpoch(int fold, int folds, EpochReport epoch);

    /// <summary>Training ended and its outputs are written: the checkpoints have nothing left to resume.</summary>
    void Finished();
}

/// <summary>A finished training: the rows of its results table (and what they measure), and per video the attention diagnostics of a distilled model.</summary>
public sealed record TrainingResult(IReadOnlyList<EvaluationRow> Rows, string RowsMeaning, IReadOnlyList<(string Video, IReadOnlyList<ModalityAttention> Attention)>? Attention);

/// <summary>
/// The training workflows of <c>emmanet train</c>: against Aff-Wild2 EXPR annotations (k folds of the training set
/// plus the official validation split; the exported model is the fold with the best held-out Avg F1) or, by
/// distillation, against the face CNN's own readings (how the default model is made; the last fifth of every track
/// held out and only reported). Each writes the model (ONNX, its sha256 recorded beside it) and, when asked, a JSON
/// report, and returns the rows of its results table.
/// </summary>
public sealed class TrainingJob(string features, string output, string? reportPath, TrainingSettings initialSettings, ITrainingRun run, double distillPool, ILogger logger)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private TrainingSettings settings = initialSettings;

    public async Task<TrainingResult> AnnotatedAsync(string labelFolder, SubjectChoice subject, int folds, CancellationToken cancellationToken)
    {
        var trainFolder = Path.Combine(labelFolder, "Train_Set");
        var validFolder = Path.Combine(labelFolder, "Validation_Set");
        if (!Directory.Exists(trainFolder) || !Directory.Exists(validFolder))
        {
            throw new IOException($"{labelFolder}: expected the Aff-Wild2 layout with Train_Set/ and Validation_Set/ folders of EXPR .txt files");
        }
        var validFiles = ExprAnnotation.ReadFolder(validFolder);
        var allTrain = ExprAnnotation.ReadFolder(trainFolder);
        var trainFiles = ExprSplits.WithoutDuplicates(allTrain, validFiles);
        if (trainFiles.Count < allTrain.Count)
        {
            logger.LogInformation("Left out {Count} training file(s) also in Validation_Set", allTrain.Count - trainFiles.Count);
        }
        void Warn(string message) => logger.LogWarning("{Message}", message);
        var train = await TrainingSets.AnnotatedAsync(trainFiles, features, subject, Warn, cancellationToken);
        var valid = await TrainingSets.AnnotatedAsync(validFiles, features, subject, Warn, cancellationToken);
        if (train.Count == 0 || (folds <= 1 && valid.Count == 0))
        {
            throw new InvalidDataException($"{features}: no features for the {(train.Count == 0 ? "training" : "validation")} annotation files");
        }
        var extractors = TrainingSets.CommonExtractors([.. train, .. valid]);
        settings = settings with { Config = TrainingSets.WithFeatureSizes(settings.Config, [.. train, .. valid]) };
        logger.LogInformation("Training on {Tracks} tracks ({Labelled} labelled ticks), validation {Valid} tracks ({ValidLabelled}), {Folds} fold(s), variant {Variant}",
            train.Count, train.Sum(t => t.LabelledCount), valid.Count, valid.Sum(t => t.LabelledCount), folds, settings.Config.Variant);

        var foldCount = Math.Max(1, folds);
        var dataIdentity = FeaturesIdentity(features);
        var outcomes = new List<FoldOutcome>();
        foreach (var outcome in FusionTraining.CrossValidate(train, trainFiles, valid, folds, settings, (fold, e) => run.LogEpoch(fold, foldCount, e),
            fold => run.Control($"fold-{fold}", fold, foldCount, dataIdentity)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(outcome);
        }
        var rows = new List<EvaluationRow>();
        foreach (var o in outcomes)
        {
            rows.Add(o.HeldOut);
            if (o.Validation is { } v && !ReferenceEquals(v, o.HeldOut))
            {
                rows.Add(v);
            }
        }
        if (outcomes.Count > 1)
        {
            rows.Add(Mean("mean held-out", outcomes.Select(o => o.HeldOut).ToList()));
            if (outcomes.All(o => o.Validation is not null))
            {
                rows.Add(Mean("mean validation", outcomes.Select(o => o.Validation!).ToList()));
            }
        }

        // The exported model: the fold whose held-out Avg F1 is best (the validation split is reported, never used to choose).
        var best = outcomes.MaxBy(o => o.HeldOut.Metrics.MacroF1)!;
        var description = string.Create(CultureInfo.InvariantCulture,
            $"Aff-Wild2 EXPR annotations, fold {best.Fold} of {Math.Max(1, folds)}, held-out Avg F1 {best.HeldOut.Metrics.MacroF1:F3}{(best.Validation is { } bv ? $", validation Avg F1 {bv.Metrics.MacroF1:F3}" : "")}; {Inputs(extractors)}");
        Save(best.Network, extractors, description);
        await WriteReportAsync(rows, description, outcomes.Select(o => (o.Fold, o.History)), cancellationToken);
        run.Finished();
        return new TrainingResult(rows, "per-class F1, accuracy, Avg F1 = mean of the 8 F1s, ECU = share of consecutive ticks keeping their label; all %, at the 6 Hz ticks where the face is seen", null);
    }

    public async Task<TrainingResult> DistillAsync(CancellationToken cancellationToken)
    {
        var tracks = await TrainingSets.DistillationAsync(features, distillPool, cancellationToken);
        if (tracks.Count == 0)
        {
            throw new InvalidDataException($"{features}: no features files with faces (run `emmanet extract` first)");
        }
        var extractors = TrainingSets.CommonExtractors(tracks);
        settings = settings with { Config = TrainingSets.WithFeatureSizes(settings.Config, tracks) };
        // The last fifth of every track is held out, so every video, moving footage included, is scored on ticks it
        // was not trained on; it is only reported: every epoch is trained and the last one kept.
        var parts = tracks.Select(t => TrainingSets.SplitInTime(t, 0.8)).ToList();
        var train = parts.Select(p => p.Head).ToList();
        var held = parts.Where(p => p.Tail is not null).Select(p => p.Tail!).ToList();
        if (held.Count == 0)
        {
            held = train;
        }
        logger.LogInformation("Distilling the face CNN into the fusion network: {Train} tracks ({Ticks} ticks), the last fifth of each held out ({HeldTicks} ticks)",
            train.Count, train.Sum(t => t.LabelledCount), held.Sum(t => t.LabelledCount));
        var distill = settings with { Options = settings.Options with { KeepLast = true } };
        var (network, history) = FusionTraining.Train(train, held, distill, e => run.LogEpoch(1, 1, e), run.Control("distill", 1, 1, FeaturesIdentity(features)));
        var epochs = history.Count;
        var rows = new List<EvaluationRow> { FusionTraining.Evaluate("teacher, train", network, train, settings), FusionTraining.Evaluate("teacher, held-out", network, held, settings) };
        foreach (var video in held.GroupBy(t => t.VideoId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            rows.Add(FusionTraining.Evaluate($"held-out {video.Key}", network, video.ToList(), settings));
        }
        var attention = FusionTraining.AttentionByVideo(network, tracks, settings);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"distilled from the face expression CNN ({extractors.GetValueOrDefault("face_expression", "?")}) on {tracks.Sum(t => t.LabelledCount)} ticks of {tracks.Select(t => t.VideoId).Distinct().Count()} video(s), {epochs} epochs run; agreement with the teacher's reading on the held-out last fifth of each track: Avg F1 {rows[1].Metrics.MacroF1:F3}, accuracy {rows[1].Metrics.Accuracy:F3} (target pooled over {distillPool:0.##} s, current face hidden in {100 * settings.Options.FaceDropout:0}% of training windows); {Inputs(extractors)}; not trained on human labels");
        Save(network, extractors, description);
        await WriteReportAsync(rows, description, [(1, history)], cancellationToken, attention);
        run.Finished();
        return new TrainingResult(rows, "agreement with the face CNN's argmax mapped to ABAW classes, not accuracy against human labels", attention);
    }

    /// <summary>What the network reads, for its description: each modality's extractor and size.</summary>
    private string Inputs(IReadOnlyDictionary<string, string> extractors)
    {
        string Id(string role) => extractors.GetValueOrDefault(role, "?").Split(' ')[0];
        var c = settings.Config;
        var voice = extractors.ContainsKey("audio_cnn") ? $"DeepSpectrum ({Id("audio_cnn")})" : "log-mel statistics";
        var crop = extractors.ContainsKey("face_mesh") ? $" on {Id("face_mesh")}-placed crops" : " on detection-box crops";
        var mesh = c.FaceSize > FaceFeature.ExpressionCount ? $" with {Id("face_mesh")} head pose and measures and {Id("face_iris")} gaze" : "";
        return string.Create(CultureInfo.InvariantCulture, $"inputs: face {Id("face_expression")}{crop}{mesh} ({c.FaceSize} values), voice: {voice} ({c.AudioSize}) with {Id("voice_activity")}, body {Id("body_pose")} ({c.PoseSize})");
    }

    private static EvaluationRow Mean(string name, IReadOnlyList<EvaluationRow> rows) =>
        new(name, ExpressionMetrics.Mean(rows.Select(r => r.Metrics).ToList()), rows.Average(r => r.Stability));

    private void Save(FusionNetwork network, IReadOnlyDictionary<string, string> extractors, string description)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        Directory.CreateDirectory(folder);
        OnnxModelFile.Save(FusionExport.Build(network, extractors, description), output);
        var sha = FusionModelRecord.WriteAsync(output, CancellationToken.None).GetAwaiter().GetResult();
        logger.LogInformation("Wrote {Path} (sha256 {Sha}, recorded in {Record}): {Description}", output, sha, FusionModelRecord.PathFor(output), description);
    }

    private async Task WriteReportAsync(IEnumerable<EvaluationRow> rows, string description, IEnumerable<(int Fold, IReadOnlyList<EpochReport> History)> folds, CancellationToken cancellationToken, IReadOnlyList<(string Video, IReadOnlyList<ModalityAttention> Attention)>? attention = null)
    {
        if (reportPath is null)
        {
            return;
        }
        var (c, o) = (settings.Config, settings.Options);
        var loss = o.Loss ?? new LossSettings();
        var json = JsonSerializer.Serialize(new
        {
            model = Path.GetFullPath(output),
            training = description,
            variant = c.Variant.ToString().ToLowerInvariant(),
            steps = c.Steps,
            classes = ResultsTable.Classes,
            settings = new
            {
                hidden = c.Hidden,
                layers = c.Layers,
                bidirectional_context = c.BidirectionalContext,
                key_size = c.KeySize,
                head_hidden = c.HeadHidden,
                dropout = c.Dropout,
                face_size = c.FaceSize,
                audio_size = c.AudioSize,
                pose_size = c.PoseSize,
                epochs_max = o.Epochs,
                runs_per_batch = o.RunsPerBatch,
                run_length = settings.RunLength,
                learning_rate = o.LearningRate,
                weight_decay = o.WeightDecay,
                patience = o.Patience,
                stop_patience = o.StopPatience,
                seed = o.Seed,
                threads = o.Threads,
                rec_weight = loss.ReconstructionWeight,
                smooth_weight = loss.SmoothWeight,
                class_weights = settings.ClassWeights,
                precision = "float32 batched (shards of " + Fusion.Batched.BatchedFusionNetwork.ShardWindows + " windows)",
            },
            folds = folds.Select(f => new
            {
                fold = f.Fold,
                epochs = f.History.Count,
                seconds = f.History.Sum(e => e.Seconds),
                history = f.History.Select(e => new { epoch = e.Epoch, train_loss = e.TrainLoss, valid_loss = e.ValidLoss, valid_macro_f1 = e.ValidMacroF1, learning_rate = e.LearningRate, seconds = e.Seconds }),
            }),
            rows = rows.Select(r => new
            {
                split = r.Split,
                f1 = r.Metrics.F1,
                accuracy = r.Metrics.Accuracy,
                avg_f1 = r.Metrics.MacroF1,
                ecu = r.Stability,
                count = r.Metrics.Count,
            }),
            attention = attention?.Select(v => new
            {
                video = v.Video,
                modalities = v.Attention.Select(m => new { modality = m.Modality, windows = m.Windows, entropy = m.Entropy, own_step = m.OwnStep, first_present = m.FirstPresent, last_present = m.LastPresent, top_position = m.TopPosition, top_position_share = m.TopPositionShare, positional = m.IsPositional() }),
            }),
        }, Indented);
        await AtomicFile.WriteAllTextAsync(reportPath, json, cancellationToken);
    }

    /// <summary>The features a checkpoint was trained on: every Parquet file of the folder, by name and content (SHA-256).</summary>
    public static string FeaturesIdentity(string features)
    {
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(features, "*.parquet").Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            all.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            using var stream = File.OpenRead(file);
            all.AppendData(SHA256.HashData(stream));
        }
        return $"{files.Count} feature files, sha256 {Convert.ToHexStringLower(all.GetHashAndReset())[..16]}";
    }
}
