using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet extract &lt;videos...&gt; -o &lt;dir&gt;</c>: per video, the subjects' face, voice and body features on the
/// EMMA-Net timeline. The same pipeline as <c>analyze</c>, with features on and face detections off.
/// </summary>
internal static class ExtractCommand
{
    public static Command Create()
    {
        var batchInputs = new BatchInputs();
        var subject = new Option<SubjectChoice>("--subject") { Description = "Whose features: largest, left, right or all (every track)", DefaultValueFactory = _ => SubjectChoice.Largest };
        var openPose = new Option<string?>("--openpose") { Description = "An OpenPose body model (ONNX, COCO-18 or BODY_25) to use instead of PoseNet" };
        var audioOptions = new AudioOptions();
        var faceOptions = new FaceOptions();
        var common = new CommonOptions();
        var command = new Command("extract", "Extract per-subject face, audio and pose features (2 Hz steps and 6 Hz face ticks) as Parquet")
        {
            subject, openPose,
        };
        audioOptions.AddTo(command);
        faceOptions.AddTo(command);
        batchInputs.AddTo(command);
        common.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = common.Begin(parse);
            var logger = logging.CreateLogger("emmanet");
            var (batchRun, videoSource, exit) = batchInputs.Prepare(parse, logger);
            if (batchRun is null || videoSource is null)
            {
                return exit;
            }

            AnalyzerModels models;
            try
            {
                var choice = new ModelChoice(RunMode.Features, OpenPose: parse.GetValue(openPose));
                models = AnalyzerModels.Load(audioOptions.Into(parse, faceOptions.Into(parse, choice)), ModelStore.Open(parse.GetValue(common.Models)), new SessionFactory(common.Execution(parse), logger));
            }
            catch (ModelException ex)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
            using var held = models;
            var options = new AnalyzeOptions(parse.GetValue(batchInputs.Output)!, parse.GetValue(batchInputs.VideosInFlight), Force: parse.GetValue(batchInputs.Force), WriteFaces: false,
                Features: new FeatureOutput(parse.GetValue(subject), models.Audio!));
            return await PipelineRun.RunAsync("extract", new AnalyzePipeline(videoSource, models.Analyzer, logger), batchRun, options, logger, cancellationToken);
        });
        return command;
    }
}
