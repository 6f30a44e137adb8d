using System.CommandLine;
using System.Globalization;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet fusion-experiment</c>: the controlled experiment of <see cref="CueExperiment"/>: trains each variant on
/// synthetic windows whose classes are signalled by the face, or by an audio or pose cue at a random step, and prints
/// macro F1 and accuracy on held-out windows and how often attention peaks at the cue's step.
/// </summary>
internal static class FusionExperimentCommand
{
    public static Command Create()
    {
        var train = new Option<int>("--train") { Description = "Training windows", DefaultValueFactory = _ => 1600 };
        var test = new Option<int>("--test") { Description = "Held-out windows", DefaultValueFactory = _ => 800 };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs at most", DefaultValueFactory = _ => 30 };
        var all = new Option<bool>("--all-variants") { Description = "All six variants, not only attention, concat and face" };
        var command = new Command("fusion-experiment", "Train the fusion variants on synthetic cues with known truth and compare them") { train, test, epochs, all };
        command.SetAction(parse =>
        {
            var settings = new CueExperiment.Settings(Train: parse.GetValue(train), Test: parse.GetValue(test), Epochs: parse.GetValue(epochs));
            FusionVariant[] variants = parse.GetValue(all) ? Enum.GetValues<FusionVariant>() : [FusionVariant.Attention, FusionVariant.Concat, FusionVariant.Face];
            Console.WriteLine("variant      macro F1  accuracy  attention argmax at the cue step");
            foreach (var variant in variants)
            {
                var r = CueExperiment.Run(variant, settings);
                var peak = variant is FusionVariant.Attention or FusionVariant.Context ? r.AttentionAtCue.ToString("P1", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variant.ToString().ToLowerInvariant(),-12} {r.MacroF1,8:F3}  {r.Accuracy,8:F3}  {peak}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(T = {settings.Steps}: attention at random would peak at the cue {1.0 / settings.Steps:P1} of the time)"));
            return ExitCodes.Success;
        });
        return command;
    }
}
