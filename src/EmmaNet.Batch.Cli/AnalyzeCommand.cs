using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet analyze &lt;files or folders...&gt; -o &lt;out&gt;</c>: per video, face detections and, with the fusion
/// network (on unless <c>--no-fusion</c>), a label and 8 probabilities per subject and frame plus the attention weights.
/// </summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var batchInputs = new BatchInputs();
        var batch = (new Option<int>("--batch") { Description = "Frames gathered into one analysis batch from the videos in flight", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var fusion = new Option<string?>("--fusion") { Description = $"Fusion model (ONNX from `emmanet train`; default: <models>/{FusionModel.DefaultFileName})" };
        var noFusion = new Option<bool>("--no-fusion") { Description = "Face detections only: no features, no predictions" };
        var subject = new Option<SubjectChoice>("--subject") { Description = "Whose emotions: all (every tracked face), largest, left or right", DefaultValueFactory = _ => SubjectChoice.All };
        var fusionBatch = (new Option<int>("--fusion-batch") { Description = "Windows per fusion call at most (windows of several videos share calls)", DefaultValueFactory = _ => AnalyzeOptions.DefaultWindowsPerCall }).AtLeast(1);
        var command = new Command("analyze", "Analyse videos: face detections, per-frame emotions and attention weights, as Parquet") { batch, fusion, noFusion, subject, fusionBatch };
        batchInputs.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var mode = parse.GetValue(noFusion) ? RunMode.Faces : RunMode.Predictions;
            var choice = new ModelChoice(mode, Fusion: parse.GetValue(fusion));
            return batchInputs.RunAsync("analyze", parse, choice, (models, logger) =>
            {
                if (models.Fusion is { } model)
                {
                    logger.LogInformation("Fusion model {Model} ({Variant}, T = {Steps}): {Training}", model.Model.FileName, model.Variant, model.Steps, model.Training);
                }
                return batchInputs.Options(parse, mode) with { DetectorBatch = parse.GetValue(batch), Subject = parse.GetValue(subject), WindowsPerCall = parse.GetValue(fusionBatch) };
            }, cancellationToken);
        });
        return command;
    }
}
