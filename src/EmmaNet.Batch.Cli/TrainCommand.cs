using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet train</c>: trains the fusion network on <c>extract</c> output, either against Aff-Wild2 EXPR annotations
/// (k folds of the training set plus the official validation split, the paper's Table 1 printed) or, with
/// <c>--distill</c>, against the face CNN's own readings (how the default model is made), and exports it as ONNX.
/// </summary>
internal static class TrainCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var features = new Option<string>("--features") { Description = "Folder of `emmanet extract` output", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Aff-Wild2 EXPR annotation folder holding Train_Set/ and Validation_Set/" };
        var distill = new Option<bool>("--distill") { Description = "Train against the face CNN's readings (mapped to the 8 ABAW classes) instead of annotations" };
        var output = new Option<string>("--output", "-o") { Description = "The trained model (ONNX)", Required = true };
        var report = new Option<string?>("--report") { Description = "Also write the results as JSON" };
        var subject = new Option<SubjectChoice>("--subject") { Description = "Features used for annotation files without _left/_right", DefaultValueFactory = _ => SubjectChoice.Largest };
        var folds = (new Option<int>("--folds") { Description = "Cross-validation folds of the training set (1: train on all of it, stop early on validation)", DefaultValueFactory = _ => 5 }).AtLeast(1);
        var variant = new Option<FusionVariant>("--variant") { Description = "face, context, concat, additive, gating or attention", DefaultValueFactory = _ => FusionVariant.Attention };
        var steps = (new Option<int>("--steps") { Description = "T, the 2 Hz steps of context", DefaultValueFactory = _ => 12 }).AtLeast(1);
        var hidden = (new Option<int>("--hidden") { Description = "GRU hidden size", DefaultValueFactory = _ => 128 }).AtLeast(1);
        var bidirectional = new Option<bool>("--bidirectional-context") { Description = "Bidirectional audio and pose encoders" };
        var noPresence = new Option<bool>("--no-presence-input") { Description = "Encoders without the presence input (absent steps are bare zeros, as before)" };
        var position = new Option<bool>("--step-position") { Description = "Encoders also read each step's position in the window" };
        var dropout = (new Option<double>("--dropout") { Description = "Dropout of the head's hidden layer", DefaultValueFactory = _ => 0.3 }).Within(0, 1);
        var keySize = (new Option<int>("--key-size") { Description = "d_k, the attention's query and key size", DefaultValueFactory = _ => 64 }).AtLeast(1);
        var weightDecay = (new Option<double>("--weight-decay") { Description = "AdamW's decoupled weight decay (not on biases)", DefaultValueFactory = _ => 1e-4 }).Within(0);
        var epochs = (new Option<int>("--epochs") { Description = "Epochs at most", DefaultValueFactory = _ => 40 }).AtLeast(1);
        var batch = (new Option<int>("--batch") { Description = "Runs of consecutive windows per optimiser step", DefaultValueFactory = _ => 4 }).AtLeast(1);
        var runLength = (new Option<int>("--run-length") { Description = "Consecutive windows per run at most", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var learningRate = (new Option<double>("--learning-rate") { Description = "AdamW learning rate (halved when validation F1 stalls)", DefaultValueFactory = _ => 2e-3 }).Within(0, minimumIncluded: false);
        var recWeight = (new Option<double>("--rec-weight") { Description = "lambda_rec", DefaultValueFactory = _ => 0.1 }).Within(0);
        var smoothWeight = (new Option<double>("--smooth-weight") { Description = "lambda_smooth", DefaultValueFactory = _ => 0.05 }).Within(0);
        var classWeights = new Option<bool>("--class-weights") { Description = "Weight the cross-entropy by inverse class frequency" };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same model)", DefaultValueFactory = _ => 1 };
        var threads = (new Option<int>("--threads") { Description = "Threads computing gradients (0: all cores; the result does not depend on it)", DefaultValueFactory = _ => 0 }).AtLeast(0);
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Folder of the per-epoch checkpoints (default: <output>.checkpoints; removed when training ends)" };
        var distillPool = (new Option<double>("--distill-pool") { Description = "With --distill: the target is the face CNN's reading averaged over this many seconds around the tick (0: the tick's own)", DefaultValueFactory = _ => 0 }).Within(0);
        var faceDropout = (new Option<double>("--face-dropout") { Description = "Share of training windows whose current face is hidden, so the network learns to read the tick from its context", DefaultValueFactory = _ => 0 }).Within(0, 1);
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoints (same settings and features, else refused)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Debug logging" };
        var command = new Command("train", "Train the EMMA-Net fusion network on extracted features and export it as ONNX")
        {
            features, labels, distill, output, report, subject, folds, variant, steps, hidden, bidirectional, noPresence, position, dropout, keySize, weightDecay, epochs, batch, runLength, learningRate, recWeight, smoothWeight, classWeights, seed, threads, distillPool, faceDropout, checkpoints, resume, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create(parse.GetValue(verbose));
            var logger = logging.CreateLogger("emmanet");
            var config = new FusionConfig(Steps: parse.GetValue(steps), Hidden: parse.GetValue(hidden), BidirectionalContext: parse.GetValue(bidirectional), Variant: parse.GetValue(variant),
                PresenceInput: !parse.GetValue(noPresence), StepPosition: parse.GetValue(position), Dropout: parse.GetValue(dropout), KeySize: parse.GetValue(keySize));
            var options = new TrainingOptions(Epochs: parse.GetValue(epochs), RunsPerBatch: parse.GetValue(batch), LearningRate: parse.GetValue(learningRate), WeightDecay: parse.GetValue(weightDecay), Seed: parse.GetValue(seed),
                Threads: parse.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount,
                Loss: new LossSettings(parse.GetValue(recWeight), parse.GetValue(smoothWeight)), FaceDropout: parse.GetValue(faceDropout));
            var settings = new TrainingSettings(config, options, parse.GetValue(runLength), parse.GetValue(classWeights));
            var outputPath = parse.GetValue(output)!;
            var checkpointFolder = parse.GetValue(checkpoints) ?? Path.ChangeExtension(Path.GetFullPath(outputPath), null) + ".checkpoints";
            var job = new TrainJob(parse.GetValue(features)!, outputPath, parse.GetValue(report), settings, new TrainRun(checkpointFolder, parse.GetValue(resume), options.Epochs, logger, cancellationToken), parse.GetValue(distillPool), logger);
            try
            {
                if (parse.GetValue(distill))
                {
                    return await job.DistillAsync(cancellationToken);
                }
                if (parse.GetValue(labels) is not { } labelFolder)
                {
                    logger.LogError("Give --labels <Aff-Wild2 EXPR folder> or --distill");
                    return ExitCodes.CouldNotRun;
                }
                return await job.AnnotatedAsync(labelFolder, parse.GetValue(subject), parse.GetValue(folds), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Cancelled: every finished epoch is in {Folder}; run the same command with --resume to continue", checkpointFolder);
                return ExitCodes.Cancelled;
            }
            catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
        });
        return command;
    }

    private sealed class TrainJob(string features, string output, string? reportPath, TrainingSettings initialSettings, TrainRun run, double distillPool, ILogger logger)
    {
        private TrainingSettings settings = initialSettings;

        public async Task<int> AnnotatedAsync(string labelFolder, SubjectChoice subject, int folds, CancellationToken cancellationToken)
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
            var dataIdentity = TrainRun.FeaturesIdentity(features);
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
            Console.Write(ResultsTable.Format(rows.Select(r => (r.Split, r.Metrics, (double?)r.Stability))));
            Console.WriteLine("(per-class F1, accuracy, Avg F1 = mean of the 8 F1s, ECU = share of consecutive ticks keeping their label; all %, at the 6 Hz ticks where the face is seen)");

            // The exported model: the fold whose held-out Avg F1 is best (the validation split is reported, never used to choose).
            var best = outcomes.MaxBy(o => o.HeldOut.Metrics.MacroF1)!;
            var description = string.Create(CultureInfo.InvariantCulture,
                $"Aff-Wild2 EXPR annotations, fold {best.Fold} of {Math.Max(1, folds)}, held-out Avg F1 {best.HeldOut.Metrics.MacroF1:F3}{(best.Validation is { } bv ? $", validation Avg F1 {bv.Metrics.MacroF1:F3}" : "")}; {Inputs(extractors)}");
            Save(best.Network, extractors, description);
            await WriteReportAsync(rows, description, outcomes.Select(o => (o.Fold, o.History)), cancellationToken);
            run.Finished();
            return ExitCodes.Success;
        }

        public async Task<int> DistillAsync(CancellationToken cancellationToken)
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
            var (network, history) = FusionTraining.Train(train, held, distill, e => run.LogEpoch(1, 1, e), run.Control("distill", 1, 1, TrainRun.FeaturesIdentity(features)));
            var epochs = history.Count;
            var rows = new List<EvaluationRow> { FusionTraining.Evaluate("teacher, train", network, train, settings), FusionTraining.Evaluate("teacher, held-out", network, held, settings) };
            foreach (var video in held.GroupBy(t => t.VideoId).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                rows.Add(FusionTraining.Evaluate($"held-out {video.Key}", network, video.ToList(), settings));
            }
            Console.Write(ResultsTable.Format(rows.Select(r => (r.Split, r.Metrics, (double?)r.Stability))));
            Console.WriteLine("(agreement with the face CNN's argmax mapped to ABAW classes, not accuracy against human labels)");
            var attention = FusionTraining.AttentionByVideo(network, tracks, settings);
            foreach (var (video, modalities) in attention)
            {
                foreach (var m in modalities.Where(m => m.Windows > 0))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"attention {video} {m.Modality}: {m.Windows} windows, entropy {m.Entropy:F2}, own {m.OwnStep:F2}, first {m.FirstPresent:F2}, last {m.LastPresent:F2}, top position {m.TopPosition} ({m.TopPositionShare:F2}){(m.IsPositional() ? " POSITIONAL" : "")}"));
                }
            }
            var description = string.Create(CultureInfo.InvariantCulture,
                $"distilled from the face expression CNN ({extractors.GetValueOrDefault("face_expression", "?")}) on {tracks.Sum(t => t.LabelledCount)} ticks of {tracks.Select(t => t.VideoId).Distinct().Count()} video(s), {epochs} epochs run; agreement with the teacher's reading on the held-out last fifth of each track: Avg F1 {rows[1].Metrics.MacroF1:F3}, accuracy {rows[1].Metrics.Accuracy:F3} (target pooled over {distillPool:0.##} s, current face hidden in {100 * settings.Options.FaceDropout:0}% of training windows); {Inputs(extractors)}; not trained on human labels");
            Save(network, extractors, description);
            await WriteReportAsync(rows, description, [(1, history)], cancellationToken, attention);
            run.Finished();
            return ExitCodes.Success;
        }

        /// <summary>What the network reads, for its description: each modality's extractor and size.</summary>
        private string Inputs(IReadOnlyDictionary<string, string> extractors)
        {
            string Id(string role) => extractors.GetValueOrDefault(role, "?").Split(' ')[0];
            var c = settings.Config;
            var voice = extractors.ContainsKey("audio_cnn") ? $"DeepSpectrum ({Id("audio_cnn")})" : "log-mel statistics";
            var crop = extractors.ContainsKey("face_mesh") ? $" on {Id("face_mesh")}-placed crops" : " on detection-box crops";
            return string.Create(CultureInfo.InvariantCulture, $"inputs: face {Id("face_expression")}{crop} ({c.FaceSize} values), voice: {voice} ({c.AudioSize}) with {Id("voice_activity")}, body {Id("body_pose")} ({c.PoseSize})");
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
    }
}
