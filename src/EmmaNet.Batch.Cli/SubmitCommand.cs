using System.CommandLine;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet submit --pred &lt;analyze output&gt; --example &lt;example file&gt; -o &lt;file&gt;</c>: the ABAW5 EXPR submission,
/// row for row as the example lists them; <c>--check &lt;file&gt;</c> validates an existing submission instead.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var pred = new Option<string[]>("--pred") { Description = "analyze output folders or predictions files (searched recursively)", AllowMultipleArgumentsPerToken = true };
        var example = new Option<string>("--example") { Description = "The organisers' example file (CVPR_5th_ABAW_EXPR_test_set_example.txt)", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "The submission file to write" };
        var check = new Option<string?>("--check") { Description = "Check this submission file against the example instead of writing one" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Debug logging" };
        var command = new Command("submit", "Write an ABAW5 EXPR submission file from analyze output, or check one") { pred, example, output, check, verbose };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create(parse.GetValue(verbose));
            var logger = logging.CreateLogger("emmanet");
            try
            {
                var examplePath = parse.GetValue(example)!;
                if (parse.GetValue(check) is { } checkPath)
                {
                    var found = SubmissionFile.Check(checkPath, examplePath);
                    foreach (var problem in found.Take(10))
                    {
                        logger.LogError("{Problem}", problem);
                    }
                    if (found.Count > 10)
                    {
                        logger.LogError("... and {More} more", found.Count - 10);
                    }
                    logger.LogInformation("{File}: {Verdict}", checkPath, found.Count == 0 ? "valid against the example file" : $"{found.Count} problem(s)");
                    return found.Count == 0 ? ExitCodes.Success : ExitCodes.SomeVideosFailed;
                }
                if (parse.GetValue(pred) is not { Length: > 0 } predPaths || parse.GetValue(output) is not { } outputPath)
                {
                    logger.LogError("Give --pred <analyze output> and -o <file>, or --check <file>");
                    return ExitCodes.CouldNotRun;
                }
                var exampleProblems = new List<string>();
                var exampleFile = SubmissionFile.Read(examplePath, requireLabels: false, exampleProblems);
                if (exampleProblems.Count > 0)
                {
                    exampleProblems.Take(10).ToList().ForEach(p => logger.LogError("{Problem}", p));
                    return ExitCodes.CouldNotRun;
                }
                var predictions = await PredictionSources.ReadAsync(predPaths, w => logger.LogWarning("{Warning}", w), cancellationToken);
                var (lines, notes, problems) = SubmissionWriter.Build(exampleFile, predictions);
                notes.ForEach(n => logger.LogWarning("{Note}", n));
                if (problems.Count > 0)
                {
                    problems.ForEach(p => logger.LogError("{Problem}", p));
                    return ExitCodes.CouldNotRun;
                }
                await AtomicFile.WriteAllTextAsync(outputPath, string.Join('\n', lines) + "\n", cancellationToken);
                logger.LogInformation("Wrote {File}: {Rows} rows for {People} people", outputPath, lines.Count - 1, exampleFile.Rows.Select(r => r.Person).Distinct().Count());
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or UnauthorizedAccessException)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
        });
        return command;
    }
}
