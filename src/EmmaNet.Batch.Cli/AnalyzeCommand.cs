using System.CommandLine;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary><c>emmanet analyze &lt;files or folders...&gt; -o &lt;out&gt;</c>.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var batchInputs = new BatchInputs();
        var batch = new Option<int>("--batch") { Description = "Frames gathered into one analysis batch from the videos in flight", DefaultValueFactory = _ => 8 };
        var common = new CommonOptions();
        var command = new Command("analyze", "Analyse videos and write one Parquet file per video") { batch };
        batchInputs.AddTo(command);
        common.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = common.Logging(parse);
            var logger = logging.CreateLogger("emmanet");
            var (videos, missing, exit) = batchInputs.Scan(parse, logger);
            if (exit is { } code)
            {
                return code;
            }

            BlazeFaceDetector detector;
            try
            {
                var models = ModelStore.Open(parse.GetValue(common.Models));
                detector = new BlazeFaceDetector(models, new SessionFactory(common.Execution(parse), logger));
            }
            catch (ModelException ex)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
            using (detector)
            {
                logger.LogInformation("Face detector {Model} on {Provider}", detector.Model.FileName, detector.Model.ExecutionProvider);
                var options = new AnalyzeOptions(parse.GetValue(batchInputs.Output)!, parse.GetValue(batchInputs.VideosInFlight), parse.GetValue(batch), Force: parse.GetValue(batchInputs.Force));
                return await PipelineRun.RunAsync(new AnalyzePipeline(new FfmpegVideoSource(), detector, logger), videos, missing, options, logger, cancellationToken);
            }
        });
        return command;
    }
}
