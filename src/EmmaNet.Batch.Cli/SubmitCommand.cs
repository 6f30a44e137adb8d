using System.CommandLine;
using EmmaNet.Batch.Evaluation;
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
        command.Validators.Add(result =>
        {
            if (result.GetValue(check) is null && (result.GetValue(pred) is not { Length: > 0 } || result.GetValue(output) is null))
            {
                result.AddError("give --pred <analyze output> and -o <file>, or --check <file>");
            }
        });
        command.SetAction((parse, cancellationToken) => CliLogging.RunAsync(parse.GetValue(verbose), async logger =>
        {
            var examplePath = parse.GetValue(example)!;
            if (parse.GetValue(check) is { } checkPath)
            {
                var found = SubmissionFile.Check(checkPath, examplePath);
                LogProblems(found, logger);
                logger.LogInformation("{File}: {Verdict}", checkPath, found.Count == 0 ? "valid against the example file" : $"{found.Count} problem(s)");
                return found.Count == 0 ? ExitCodes.Success : ExitCodes.SomeVideosFailed;
            }
            var (predPaths, outputPath) = (parse.GetValue(pred)!, parse.GetValue(output)!);
            var (rows, people, problems) = await SubmissionWriter.WriteAsync(examplePath, predPaths, outputPath, w => logger.LogWarning("{Warning}", w), cancellationToken);
            if (problems.Count > 0)
            {
                LogProblems(problems, logger);
                return ExitCodes.CouldNotRun;
            }
            logger.LogInformation("Wrote {File}: {Rows} rows for {People} people", outputPath, rows, people);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The first ten problems, and how many more there are.</summary>
    private static void LogProblems(List<string> problems, ILogger logger)
    {
        problems.Take(10).ToList().ForEach(p => logger.LogError("{Problem}", p));
        if (problems.Count > 10)
        {
            logger.LogError("... and {More} more", problems.Count - 10);
        }
    }
}
