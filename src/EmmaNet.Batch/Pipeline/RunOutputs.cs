using System.Globalization;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The files a run writes per video, by its mode: their paths and schemas and the identity each carries (the input's
/// fingerprint, the models whose output it holds, the subject choice). The resume check and the writer both ask here,
/// so a file is trusted on a re-run by exactly what it was written with.
/// </summary>
internal sealed class RunOutputs(AnalyzeOptions options, PipelineNetworks networks)
{
    /// <summary>Every output an analyze or extract run can write for <paramref name="stem"/>, whatever its options.</summary>
    public static IEnumerable<string> AnyRunsOutputs(string folder, string stem) =>
        new[] { FaceParquetWriter.PathFor(folder, stem), PredictionTables.PredictionsPath(folder, stem), PredictionTables.AttentionPath(folder, stem) }
            .Concat(Enum.GetValues<SubjectChoice>().Select(choice => FeatureTables.StepsPath(folder, stem, choice)));

    /// <summary>Every model whose output the features hold, by role (the identity a fusion model checks).</summary>
    public IEnumerable<(string Role, ModelIdentity Model)> FeatureModels => AnalyzerModels.FeatureModels(networks.Analyzer, networks.Audio!);

    /// <summary>Every model the run uses, by role (for the run journal).</summary>
    public IEnumerable<(string Role, ModelIdentity Model)> Models =>
        (options.MakesFeatures ? FeatureModels : networks.Analyzer.Models).Concat(options.Predicts ? [("fusion", networks.Fusion!.Model)] : []);

    private IEnumerable<(string Role, ModelIdentity Model)> PredictionModels => FeatureModels.Append(("fusion", networks.Fusion!.Model));

    /// <summary>The file that stands for the video in its outcome: predictions, else the feature steps, else the faces.</summary>
    public string MainOutput(VideoJob job) =>
        options.Predicts ? PredictionTables.PredictionsPath(options.OutputFolder, job.Input.OutputStem)
        : options.WritesFeatureTables ? FeatureTables.StepsPath(options.OutputFolder, job.Input.OutputStem, options.Subject)
        : job.OutputPath;

    /// <summary>Each file the run writes for the video, with its schema and the identity it must carry.</summary>
    public IEnumerable<(string Path, string Schema, OutputIdentity Identity)> Expected(VideoJob job)
    {
        var stem = job.Input.OutputStem;
        if (options.WritesFaces)
        {
            yield return (job.OutputPath, FaceParquetWriter.Schema, FacesIdentity(job));
        }
        if (options.Predicts)
        {
            yield return (PredictionTables.AttentionPath(options.OutputFolder, stem), PredictionTables.AttentionSchema, PredictionsIdentity(job));
            yield return (PredictionTables.PredictionsPath(options.OutputFolder, stem), PredictionTables.PredictionsSchema, PredictionsIdentity(job));
        }
        if (options.WritesFeatureTables)
        {
            yield return (FeatureTables.TicksPath(options.OutputFolder, stem, options.Subject), FeatureTables.Schema, FeaturesIdentity(job));
            yield return (FeatureTables.StepsPath(options.OutputFolder, stem, options.Subject), FeatureTables.Schema, FeaturesIdentity(job));
        }
    }

    /// <summary>faces.parquet's metadata as it is opened: the run's models and the input it describes.</summary>
    public Dictionary<string, string> FacesMetadata(VideoJob job)
    {
        var metadata = OutputMetadata.For(FaceParquetWriter.Schema, job.Input.VideoId, job.Media!, networks.Analyzer.FaceTableModels);
        FacesIdentity(job).AddTo(metadata);
        metadata[OutputMetadata.Prefix + "face_stream_hz"] = FrameSampling.FaceStream.RateHz.ToString(CultureInfo.InvariantCulture);
        return metadata;
    }

    /// <summary>faces.parquet's metadata added when it is complete: how many frames and whether the input was whole.</summary>
    public static Dictionary<string, string> FacesCompletion(VideoJob job)
    {
        var metadata = new Dictionary<string, string>
        {
            [OutputMetadata.Prefix + "video_frame_count"] = job.DecodedFrames.ToString(CultureInfo.InvariantCulture),
            [OutputMetadata.Prefix + "processed_frames"] = job.ProcessedFrames.ToString(CultureInfo.InvariantCulture),
        };
        job.AddCompletenessTo(metadata);
        return metadata;
    }

    public Dictionary<string, string> FeaturesMetadata(VideoJob job)
    {
        var metadata = OutputMetadata.For(FeatureTables.Schema, job.Input.VideoId, job.Media!, FeatureModels);
        FeaturesIdentity(job).AddTo(metadata);
        job.AddCompletenessTo(metadata);
        return metadata;
    }

    public Dictionary<string, string> PredictionsMetadata(VideoJob job, SubjectFeatures features)
    {
        var fusion = networks.Fusion!;
        var metadata = OutputMetadata.For(PredictionTables.PredictionsSchema, job.Input.VideoId, job.Media!, PredictionModels);
        PredictionsIdentity(job).AddTo(metadata);
        job.AddCompletenessTo(metadata);
        FeatureTables.AddSubjects(metadata, options.Subject, features.Subjects, features.FrameCount);
        metadata[OutputMetadata.Prefix + "fusion.variant"] = fusion.Variant;
        metadata[OutputMetadata.Prefix + "fusion.steps"] = fusion.Steps.ToString(CultureInfo.InvariantCulture);
        metadata[OutputMetadata.Prefix + "fusion.training"] = fusion.Training;
        return metadata;
    }

    private OutputIdentity FacesIdentity(VideoJob job) => new(job.Fingerprint, networks.Analyzer.FaceTableModels);

    private OutputIdentity FeaturesIdentity(VideoJob job) => new(job.Fingerprint, FeatureModels, FeatureTables.Name(options.Subject));

    private OutputIdentity PredictionsIdentity(VideoJob job) => new(job.Fingerprint, PredictionModels, FeatureTables.Name(options.Subject));
}
