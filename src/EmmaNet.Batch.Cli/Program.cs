using System.CommandLine;
using EmmaNet.Batch.Cli;

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
// Ctrl-C cancels the token; the pipeline then deletes its temp files, which may take a few seconds.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
