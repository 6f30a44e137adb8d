using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet train</c>: trains the fusion network on <c>extract</c> output, either against Aff-Wild2 EXPR annotations
/// (k folds of the training set plus the official validation split, the paper's Table 1 printed) or, with
/// <c>--distill</c>, against the face CNN's own readings (how the default model is made), and exports it as ONNX.
/// </summary>
internal static class TrainCommand
{
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
        // Checked by the parser: exit 2 in one line, before anything is read.
        command.Validators.Add(result =>
        {
            if (!result.GetValue(distill) && result.GetValue(labels) is null)
            {
                result.AddError("give --labels <Aff-Wild2 EXPR folder> or --distill");
            }
        });
        command.SetAction((parse, cancellationToken) => CliLogging.RunAsync(parse.GetValue(verbose), async logger =>
        {
            var config = new FusionConfig(Steps: parse.GetValue(steps), Hidden: parse.GetValue(hidden), BidirectionalContext: parse.GetValue(bidirectional), Variant: parse.GetValue(variant),
                PresenceInput: !parse.GetValue(noPresence), StepPosition: parse.GetValue(position), Dropout: parse.GetValue(dropout), KeySize: parse.GetValue(keySize));
            var options = new TrainingOptions(Epochs: parse.GetValue(epochs), RunsPerBatch: parse.GetValue(batch), LearningRate: parse.GetValue(learningRate), WeightDecay: parse.GetValue(weightDecay), Seed: parse.GetValue(seed),
                Threads: parse.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount,
                Loss: new LossSettings(parse.GetValue(recWeight), parse.GetValue(smoothWeight)), FaceDropout: parse.GetValue(faceDropout));
            var settings = new TrainingSettings(config, options, parse.GetValue(runLength), parse.GetValue(classWeights));
            var outputPath = parse.GetValue(output)!;
            var checkpointFolder = parse.GetValue(checkpoints) ?? Path.ChangeExtension(Path.GetFullPath(outputPath), null) + ".checkpoints";
            var job = new TrainingJob(parse.GetValue(features)!, outputPath, parse.GetValue(report), settings, new CheckpointedTrainingRun(checkpointFolder, parse.GetValue(resume), options.Epochs, logger, cancellationToken, ConsoleProgress.IsInteractive ? line => Console.Error.Write("\r\u001b[K" + line) : null), parse.GetValue(distillPool), logger);
            try
            {
                var result = parse.GetValue(distill) ? await job.DistillAsync(cancellationToken)
                    : await job.AnnotatedAsync(parse.GetValue(labels)!, parse.GetValue(subject), parse.GetValue(folds), cancellationToken);
                Console.Write(TrainingReport.Text(result));
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Cancelled: every finished epoch is in {Folder}; run the same command with --resume to continue", checkpointFolder);
                return ExitCodes.Cancelled;
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
        }));
        return command;
    }
}
