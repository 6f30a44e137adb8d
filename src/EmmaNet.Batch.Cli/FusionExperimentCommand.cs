using System.CommandLine;
using System.Globalization;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet fusion-experiment</c>: <see cref="CueStudy"/>: trains the fusion variants on each controlled task of
/// <see cref="CueExperiment"/> over several seeds and prints, per task, macro F1 and attention-on-cue (mean and
/// standard deviation) and which of the paper's claims hold by more than two standard deviations.
/// </summary>
internal static class FusionExperimentCommand
{
    public static Command Create()
    {
        var train = (new Option<int>("--train") { Description = "Training windows", DefaultValueFactory = _ => 1600 }).AtLeast(1);
        var test = (new Option<int>("--test") { Description = "Held-out windows", DefaultValueFactory = _ => 800 }).AtLeast(1);
        var epochs = (new Option<int>("--epochs") { Description = "Training epochs at most", DefaultValueFactory = _ => 30 }).AtLeast(1);
        var seeds = (new Option<int>("--seeds") { Description = "Seeds per variant and task", DefaultValueFactory = _ => 5 }).AtLeast(1);
        var tasks = new Option<CueTask[]>("--task") { Description = "cue, anchor, missing, distractor (repeatable; default all)", AllowMultipleArgumentsPerToken = true };
        var variants = new Option<FusionVariant[]>("--variant") { Description = "face, context, concat, additive, gating, attention (repeatable; default all)", AllowMultipleArgumentsPerToken = true };
        var bidirectional = new Option<bool>("--bidirectional-context") { Description = "Bidirectional audio and pose encoders (default forward-only, as the product)" };
        var noPresence = new Option<bool>("--no-presence-input") { Description = "Encoders without the presence input (absent steps are bare zeros)" };
        var position = new Option<bool>("--step-position") { Description = "Encoders also read each step's position in the window" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output: every run, the summaries and the claims" };
        var command = new Command("fusion-experiment", "Train the fusion variants on controlled tasks with known truth, over seeds, and check the paper's claims")
        {
            train, test, epochs, seeds, tasks, variants, bidirectional, noPresence, position, json,
        };
        command.SetAction(parse =>
        {
            var settings = new CueExperiment.Settings(Train: parse.GetValue(train), Test: parse.GetValue(test), Epochs: parse.GetValue(epochs), BidirectionalContext: parse.GetValue(bidirectional),
                PresenceInput: !parse.GetValue(noPresence), StepPosition: parse.GetValue(position));
            var taskList = parse.GetValue(tasks) is { Length: > 0 } t ? t : Enum.GetValues<CueTask>();
            var variantList = parse.GetValue(variants) is { Length: > 0 } v ? v : Enum.GetValues<FusionVariant>();
            var asJson = parse.GetValue(json);
            var results = CueStudy.Run(taskList, variantList, parse.GetValue(seeds), settings, asJson ? null : r => Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{r.Task} seed {r.Seed} {CueStudy.Name(r.Variant)}: F1 {r.MacroF1:F3}          ")));
            var summaries = CueStudy.Summarise(results);
            var claims = CueStudy.Claims(results, settings.Steps);
            if (!asJson)
            {
                Console.Error.WriteLine();
            }
            Console.Write(asJson ? CueStudyReport.Json(settings, results, summaries, claims) : CueStudyReport.Text(taskList, parse.GetValue(seeds), settings, summaries, claims));
            return ExitCodes.Success;
        });
        return command;
    }
}
