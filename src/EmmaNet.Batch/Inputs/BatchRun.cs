using EmmaNet.Batch.Decoding;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Inputs;

/// <summary>The videos one run takes (this shard's share), the inputs that named nothing, and how long to wait for the output folder's lock.</summary>
public sealed record BatchRun(IReadOnlyList<VideoInput> Videos, IReadOnlyList<string> Missing, Shard Shard, TimeSpan LockWait)
{
    /// <summary>
    /// The videos given, this shard's share of them (<paramref name="shard"/> as <c>i/n</c>, else from the
    /// environment): missing paths reported one line each; no video at all (in any shard) or a bad shard is an exit
    /// code. A shard with no video of its own is not an error.
    /// </summary>
    public static (BatchRun? Run, int ExitCode) Scan(IReadOnlyList<string> inputs, string? shard, TimeSpan lockWait, ILogger logger)
    {
        Shard mine;
        try
        {
            mine = shard is { } text ? Shard.Parse(text) : Shard.FromEnvironment(Environment.GetEnvironmentVariable) ?? Shard.Whole;
        }
        catch (FormatException ex)
        {
            logger.LogError("{Message}", ex.Message);
            return (null, ExitCodes.CouldNotRun);
        }
        var (videos, missing, notes) = InputScanner.ScanWithNotes(inputs);
        foreach (var note in notes)
        {
            logger.LogWarning("{Note}", note);
        }
        foreach (var path in missing)
        {
            logger.LogError("{Message}", new MediaException(path, "file not found").Message);
        }
        if (videos.Count == 0)
        {
            logger.LogError("No videos found in the inputs");
            return (null, missing.Count > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.CouldNotRun);
        }
        var share = videos.Where(mine.Owns).ToList();
        if (!mine.IsWhole)
        {
            logger.LogInformation("Shard {Index}/{Count}: {Mine} of {All} videos", mine.Index, mine.Count, share.Count, videos.Count);
        }
        // Missing inputs are reported by the first shard only, so a cluster counts each once.
        return (new BatchRun(share, mine.Index == 0 ? missing : [], mine, lockWait), ExitCodes.Success);
    }
}
