using System.CommandLine;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// What the batch commands (<c>analyze</c>, <c>extract</c>) share: the inputs, the output folder, <c>--force</c>,
/// <c>--videos-in-flight</c>, sharding, the lock wait, the hardware decoder, and the voice, face and common options.
/// </summary>
internal sealed class BatchInputs
{
    private readonly AudioOptions _audio = new();
    private readonly FaceOptions _faces = new();
    private readonly CommonOptions _common = new();

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
        _audio.AddTo(command);
        _faces.AddTo(command);
        _common.AddTo(command);
    }

    /// <summary>
    /// A batch command's action: its logging, this shard's videos, the video source and the models the choice names
    /// (with the voice and face options), then the pipeline over the batch with the options made from them; an exit
    /// code (<see cref="ExitCodes"/>).
    /// </summary>
    public Task<int> RunAsync(string name, ParseResult parse, ModelChoice choice, Func<AnalyzerModels, ILogger, AnalyzeOptions> options, CancellationToken cancellationToken)
    {
        choice = _audio.Into(parse, _faces.Into(parse, choice));
        return _common.RunAsync(parse, async logger =>
        {
            var (batch, source, exit) = Prepare(parse, logger);
            if (batch is null || source is null)
            {
                return exit;
            }
            using var models = AnalyzerModels.Load(choice, ModelStore.Open(parse.GetValue(_common.Models)), new SessionFactory(_common.Execution(parse), logger));
            var pipeline = new AnalyzePipeline(source, models.Networks, logger);
            return await BatchRunner.RunAsync(name, pipeline, batch, options(models, logger), new ConsoleProgress(logger), logger, cancellationToken);
        });
    }

    /// <summary>The output folder and the batch settings every batch command takes, for its run's options.</summary>
    public AnalyzeOptions Options(ParseResult parse, RunMode mode) =>
        new(parse.GetValue(Output)!, mode, VideosInFlight: parse.GetValue(VideosInFlight), Force: parse.GetValue(Force));

    /// <summary>What a batch command starts from: this shard's videos and the video source, or the exit code when it cannot start.</summary>
    private (BatchRun? Run, FfmpegVideoSource? Source, int ExitCode) Prepare(ParseResult parse, ILogger logger)
    {
        var (run, exit) = BatchRun.Scan(parse.GetValue(Inputs)!, parse.GetValue(ShardOption), TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(WaitLock))), logger);
        if (run is null)
        {
            return (null, null, exit);
        }
        var source = FfmpegVideoSource.For(parse.GetValue(HardwareDecoder)!, logger);
        return source is null ? (null, null, ExitCodes.CouldNotRun) : (run, source, ExitCodes.Success);
    }
}
