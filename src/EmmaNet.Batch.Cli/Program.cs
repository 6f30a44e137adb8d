using System.CommandLine;
using EmmaNet.Batch;
using EmmaNet.Batch.Cli;

_ = MallocArenas.Limit();
var root = new RootCommand("EmmaNet.Batch: offline multimodal emotion analysis of video archives (EMMA-Net)");
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(ExtractCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BenchTrainCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(FusionExperimentCommand.Create());
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // A bad argument is exit 2 with one line per problem (System.CommandLine would print the help and return 1).
    foreach (var error in parse.Errors)
    {
        var message = string.Join(", ", error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace("following?,", "following?", StringComparison.Ordinal);
        Console.Error.WriteLine($"emmanet: {message} (emmanet {parse.CommandResult.Command.Name} --help for the options)");
    }
    return ExitCodes.CouldNotRun;
}
// Ctrl-C cancels the token; the pipeline then deletes its temp files, which may take a few seconds.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
