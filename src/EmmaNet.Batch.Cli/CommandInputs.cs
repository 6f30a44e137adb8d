using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Inputs;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>The videos a command was given: missing paths reported one line each; no video at all is an exit code.</summary>
internal static class CommandInputs
{
    public static (IReadOnlyList<VideoInput> Videos, int Missing, int? ExitCode) Scan(IEnumerable<string> arguments, ILogger logger)
    {
        var (videos, missing) = InputScanner.Scan(arguments);
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
