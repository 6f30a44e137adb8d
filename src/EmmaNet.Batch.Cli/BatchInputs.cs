using System.CommandLine;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Inputs;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>The videos one run takes (this shard's share), the inputs that named nothing, and how long to wait for the output folder's lock.</summary>
internal sealed record BatchRun(IReadOnlyList<VideoInput> Videos, IReadOnlyList<string> Missing, Shard Shard, TimeSpan LockWait);

/// <summary>What the batch commands (<c>analyze</c>, <c>extract</c>) share: the inputs, the output folder, <c>--force</c>, <c>--videos-in-flight</c>, sharding and the lock wait.</summary>
internal sealed class BatchInputs
{
    public Argument<string[]> Inputs { get; } = new("inputs") { Description = "Video files and/or folders (searched recursively)", Arity = ArgumentArity.OneOrMore };

    public Option<string> Output { get; } = (new Option<string>("--output", "-o") { Description = "Output folder", Required = true }).NotBlank();

    public Option<bool> Force { get; } = new("--force") { Description = "Redo videos whose output is already complete" };

    public Option<int> VideosInFlight { get; } = (new Option<int>("--videos-in-flight") { Description = "Videos decoded at once", DefaultValueFactory = _ => 2 }).AtLeast(1);

    public Option<string?> ShardOption { get; } = new("--shard") { Description = "i/n: take only this machine's share of the videos (0 <= i < n); default from JOB_COMPLETION_INDEX + EMMANET_SHARD_COUNT (Kubernetes) or SLURM_ARRAY_TASK_ID/_COUNT (Slurm)" };

    public Option<string> HardwareDecoder { get; } = new("--hwaccel") { Description = "Decode video with ffmpeg's hardware decoder: none (CPU), cuda, vaapi, qsv, vulkan...; checked before the run", DefaultValueFactory = _ => "none" };

    public Option<int> WaitLock { get; } = (new Option<int>("--wait-lock") { Description = "Seconds to wait when another run holds the output folder (0: exit at once with code 75)", DefaultValueFactory = _ => 0 }).AtLeast(0);

    public void AddTo(Command command)
    {
        command.Arguments.Add(Inputs);
        command.Options.Add(Output);
        command.Options.Add(Force);
        command.Options.Add(VideosInFlight);
        command.Options.Add(ShardOption);
        command.Options.Add(WaitLock);
        command.Options.Add(HardwareDecoder);
    }

    /// <summary>What a batch command starts from: this shard's videos and the video source, or the exit code when it cannot start.</summary>
    public (BatchRun? Run, Pipeline.FfmpegVideoSource? Source, int ExitCode) Prepare(ParseResult parse, ILogger logger)
    {
        var (run, exit) = Scan(parse, logger);
        if (run is null)
        {
            return (null, null, exit!.Value);
        }
        return VideoSource(parse, logger) is { } source ? (run, source, ExitCodes.Success) : (null, null, ExitCodes.CouldNotRun);
    }

    /// <summary>The video source: ffmpeg on the CPU, or with the hardware decoder asked for once it is checked to work here (an error otherwise, never a silent fall back).</summary>
    private Pipeline.FfmpegVideoSource? VideoSource(ParseResult parse, ILogger logger)
    {
        var method = parse.GetValue(HardwareDecoder)!;
        if (method == "none")
        {
            return new Pipeline.FfmpegVideoSource();
        }
        if (HardwareDecoding.Check(method) is { } reason)
        {
            logger.LogError("--hwaccel {Method}: hardware decoding is not available here ({Reason}); run without --hwaccel to decode on the CPU", method, reason);
            return null;
        }
        logger.LogInformation("Decoding video with ffmpeg -hwaccel {Method}", method);
        return new Pipeline.FfmpegVideoSource(method);
    }

    /// <summary>
    /// The videos given, this shard's share of them: missing paths reported one line each; no video at all (in any
    /// shard) or a bad shard is an exit code. A shard with no video of its own is not an error.
    /// </summary>
    private (BatchRun? Run, int? ExitCode) Scan(ParseResult parse, ILogger logger)
    {
        Shard shard;
        try
        {
            shard = parse.GetValue(ShardOption) is { } text ? Shard.Parse(text) : Shard.FromEnvironment(Environment.GetEnvironmentVariable) ?? Shard.Whole;
        }
        catch (FormatException ex)
        {
            logger.LogError("{Message}", ex.Message);
            return (null, ExitCodes.CouldNotRun);
        }
        var (videos, missing, notes) = InputScanner.ScanWithNotes(parse.GetValue(Inputs)!);
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
        var mine = videos.Where(shard.Owns).ToList();
        if (!shard.IsWhole)
        {
            logger.LogInformation("Shard {Index}/{Count}: {Mine} of {All} videos", shard.Index, shard.Count, mine.Count, videos.Count);
        }
        // Missing inputs are reported by the first shard only, so a cluster counts each once.
        return (new BatchRun(mine, shard.Index == 0 ? missing : [], shard, TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(WaitLock)))), null);
    }
}
