using System.CommandLine;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Inputs;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>What the batch commands (<c>analyze</c>, <c>extract</c>) share: the inputs, the output folder, <c>--force</c> and <c>--videos-in-flight</c>.</summary>
internal sealed class BatchInputs
{
    public Argument<string[]> Inputs { get; } = new("inputs") { Description = "Video files and/or folders (searched recursively)", Arity = ArgumentArity.OneOrMore };

    public Option<string> Output { get; } = new("--output", "-o") { Description = "Output folder", Required = true };

    public Option<bool> Force { get; } = new("--force") { Description = "Redo videos whose output is already complete" };

    public Option<int> VideosInFlight { get; } = new("--videos-in-flight") { Description = "Videos decoded at once", DefaultValueFactory = _ => 2 };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Inputs);
        command.Options.Add(Output);
        command.Options.Add(Force);
        command.Options.Add(VideosInFlight);
    }

    /// <summary>The videos given: missing paths reported one line each; no video at all is an exit code.</summary>
    public (IReadOnlyList<VideoInput> Videos, int Missing, int? ExitCode) Scan(ParseResult parse, ILogger logger)
    {
        var (videos, missing) = InputScanner.Scan(parse.GetValue(Inputs)!);
        foreach (var path in missing)
        {
            logger.LogError("{Message}", new MediaException(path, "file not found").Message);
        }
        if (videos.Count > 0)
        {
            return (videos, missing.Count, null);
        }
        logger.LogError("No videos found in the inputs");
        return (videos, missing.Count, missing.Count > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.CouldNotRun);
    }
}
