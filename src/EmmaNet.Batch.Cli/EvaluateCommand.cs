using System.CommandLine;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Files;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet evaluate --pred &lt;analyze output or submission&gt; --labels &lt;EXPR folder&gt;</c>: the ABAW expression
/// metric per person and over all frames, in the paper's Table 1 layout, with the confusion matrix; JSON and CSV too.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var pred = new Option<string[]>("--pred") { Description = "analyze output folders or predictions files (searched recursively), or one ABAW submission file", Required = true, AllowMultipleArgumentsPerToken = true };
        var labels = new Option<string>("--labels") { Description = "Folder of Aff-Wild2 EXPR annotation files (e.g. Validation_Set)", Required = true };
        var tolerance = (new Option<int>("--frame-tolerance") { Description = "Accept frame counts that differ by up to N (labelled frames past the predictions take the last one)", DefaultValueFactory = _ => 0 }).AtLeast(0);
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON" };
        var csv = new Option<string?>("--csv") { Description = "Also write one CSV row per person and one for all frames" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Debug logging" };
        var command = new Command("evaluate", "Score predictions against Aff-Wild2 EXPR annotations (per-class F1, accuracy, Avg F1)") { pred, labels, tolerance, json, csv, verbose };
        command.SetAction((parse, cancellationToken) => CliLogging.RunAsync(parse.GetValue(verbose), async logger =>
        {
            var predictions = await PredictionSources.ReadAsync(parse.GetValue(pred)!, w => logger.LogWarning("{Warning}", w), cancellationToken);
            var annotations = ExprAnnotation.ReadFolder(parse.GetValue(labels)!);
            if (annotations.Count == 0)
            {
                logger.LogError("{Folder}: no annotation files (*.txt)", parse.GetValue(labels));
                return ExitCodes.CouldNotRun;
            }
            var (videos, overall, problems) = Evaluator.Evaluate(annotations, predictions, parse.GetValue(tolerance));
            if (problems.Count > 0)
            {
                problems.ForEach(p => logger.LogError("{Problem}", p));
                return ExitCodes.CouldNotRun;
            }
            Console.Write(EvaluationReport.Text(videos, overall));
            if (parse.GetValue(json) is { } jsonPath)
            {
                await AtomicFile.WriteAllTextAsync(jsonPath, EvaluationReport.Json(videos, overall), cancellationToken);
            }
            if (parse.GetValue(csv) is { } csvPath)
            {
                await AtomicFile.WriteAllTextAsync(csvPath, EvaluationReport.Csv(videos, overall), cancellationToken);
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
