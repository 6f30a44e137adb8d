using System.CommandLine;
using System.Diagnostics;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pose;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary><c>emmanet extract &lt;videos...&gt; -o &lt;dir&gt;</c>: per video, the subject's face, voice and body features on the EMMA-Net timeline.</summary>
internal static class ExtractCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Video files and/or folders (searched recursively)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output folder", Required = true };
        var subject = new Option<SubjectChoice>("--subject") { Description = "Whose features: largest, left, right or all (every track)", DefaultValueFactory = _ => SubjectChoice.Largest };
        var force = new Option<bool>("--force") { Description = "Redo videos whose output is already complete" };
        var openPose = new Option<string?>("--openpose") { Description = "An OpenPose body model (ONNX, COCO-18 or BODY_25) to use instead of PoseNet" };
        var deepSpectrum = new Option<string?>("--deepspectrum") { Description = "An ImageNet CNN (ONNX, e.g. DenseNet-121) for DeepSpectrum audio features instead of log-mel statistics" };
        var deepSpectrumOutput = new Option<string>("--deepspectrum-output") { Description = "The CNN output to use as features", DefaultValueFactory = _ => DeepSpectrumModel.DefaultOutput };
        var common = new CommonOptions();
        var command = new Command("extract", "Extract per-subject face, audio and pose features (2 Hz steps and 6 Hz face ticks) as Parquet") { inputs, output, subject, force, openPose, deepSpectrum, deepSpectrumOutput };
        common.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = common.Logging(parse);
            var logger = logging.CreateLogger("emmanet");
            var (videos, missing) = InputScanner.Scan(parse.GetValue(inputs)!);
            foreach (var path in missing)
            {
                logger.LogError("{Message}", new MediaException(path, "file not found").Message);
            }
            var folder = parse.GetValue(output)!;
            var choice = parse.GetValue(subject);
            BlazeFaceDetector? detector = null;
            ExpressionModel? expression = null;
            IPoseEstimator? pose = null;
            SileroVad? vad = null;
            DeepSpectrumModel? audioCnn = null;
            try
            {
                var models = ModelStore.Open(parse.GetValue(common.Models));
                var sessions = new SessionFactory(common.Execution(parse), logger);
                detector = new BlazeFaceDetector(models, sessions);
                expression = new ExpressionModel(models, sessions);
                pose = parse.GetValue(openPose) is { } openPosePath ? new OpenPoseModel(openPosePath, sessions) : new PoseModel(models, sessions);
                vad = new SileroVad(models, sessions);
                audioCnn = parse.GetValue(deepSpectrum) is { } cnn ? new DeepSpectrumModel(cnn, sessions, parse.GetValue(deepSpectrumOutput)!) : null;
            }
            catch (ModelException ex)
            {
                logger.LogError("{Message}", ex.Message);
                detector?.Dispose();
                expression?.Dispose();
                pose?.Dispose();
                vad?.Dispose();
                return ExitCodes.CouldNotRun;
            }
            using (detector)
            using (expression)
            using (pose)
            using (vad)
            using (audioCnn)
            {
                var extractor = new VideoFeatureExtractor(detector, expression, pose, vad, audioCnn);
                Directory.CreateDirectory(folder);
                AtomicFile.DeleteLeftovers(folder);
                var failed = missing.Count;
                foreach (var video in videos)
                {
                    var steps = FeatureTables.StepsPath(folder, video.OutputStem, choice);
                    if (!parse.GetValue(force) && await OutputValidator.IsCompleteAsync(steps, FeatureTables.Schema, cancellationToken)
                        && await OutputValidator.IsCompleteAsync(FeatureTables.TicksPath(folder, video.OutputStem, choice), FeatureTables.Schema, cancellationToken))
                    {
                        logger.LogInformation("{Video}: skipped, features already complete", video.Path);
                        continue;
                    }
                    try
                    {
                        var clock = Stopwatch.StartNew();
                        var media = await MediaProber.ProbeAsync(video.Path, cancellationToken);
                        if (!media.HasAudio)
                        {
                            logger.LogWarning("{Video}: no audio stream: voice features will be absent", video.Path);
                        }
                        var features = await extractor.ExtractAsync(media, choice, cancellationToken);
                        var metadata = OutputMetadata.For(FeatureTables.Schema, video.VideoId, media, extractor.Extractors);
                        await FeatureTables.WriteAsync(folder, video.OutputStem, video.VideoId, choice, features, metadata, cancellationToken);
                        var perMinute = clock.Elapsed.TotalSeconds / Math.Max(media.VideoDuration.TotalMinutes, 1e-6);
                        logger.LogInformation(
                            "{Video}: {Subjects} subject(s), {Steps} steps, {Ticks} ticks in {Seconds:F1} s ({PerMinute:F1} s per minute of video) -> {Output}",
                            video.Path, features.Subjects.Count, features.Steps.Count, features.Ticks.Count, clock.Elapsed.TotalSeconds, perMinute, steps);
                    }
                    catch (OperationCanceledException)
                    {
                        logger.LogWarning("Cancelled: finished outputs are kept, unfinished ones were discarded");
                        return ExitCodes.Cancelled;
                    }
                    catch (Exception ex) when (ex is MediaException or IOException)
                    {
                        logger.LogError("{Message}", ex.Message);
                        failed++;
                    }
                }
                logger.LogInformation("Finished: {Done} video(s), {Failed} failed; peak memory {PeakMiB} MiB", videos.Count - (failed - missing.Count), failed, PeakMemory.MiB());
                return failed > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.Success;
            }
        });
        return command;
    }
}
