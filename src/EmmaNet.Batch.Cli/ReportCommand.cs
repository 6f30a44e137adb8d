using System.CommandLine;
using EmmaNet.Batch.Reports;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary><c>emmanet report &lt;analyze output&gt; -o &lt;dir&gt;</c>: timeline pictures and HTML pages per video, and a batch summary.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("analyze-output") { Description = "Folder written by `emmanet analyze`" };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the pictures and pages", Required = true };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Debug logging" };
        var command = new Command("report", "Draw per-video timelines (probabilities, labels, attention) and a batch summary as PNG and HTML") { input, output, verbose };
        command.SetAction((parse, cancellationToken) => CliLogging.RunAsync(parse.GetValue(verbose), async logger =>
        {
            var folder = parse.GetValue(input)!;
            if (!Directory.Exists(folder))
            {
                logger.LogError("{Folder}: not found", folder);
                return ExitCodes.CouldNotRun;
            }
            var outcome = await ReportWriter.WriteAsync(folder, parse.GetValue(output)!, cancellationToken);
            foreach (var failure in outcome.Failures)
            {
                logger.LogWarning("not reported: {Failure}", failure);
            }
            logger.LogInformation("Wrote {Count} page(s); open {Index}", outcome.Pages.Count, outcome.Pages[0]);
            return outcome.Pages.Count > 1 ? (outcome.Failures.Count > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.Success) : ExitCodes.CouldNotRun;
        }));
        return command;
    }
}
