using System.Globalization;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// The two Parquet tables <c>extract</c> writes per video and subject choice (schema <c>features/2</c>, documented in
/// the README): <c>&lt;stem&gt;.&lt;choice&gt;.steps.parquet</c>, one row per subject and 2 Hz step with every modality's
/// features and masks, and <c>&lt;stem&gt;.&lt;choice&gt;.ticks.parquet</c>, one row per subject and 6 Hz face tick.
/// </summary>
public static class FeatureTables
{
    public const string Schema = "features/2";

    public static string StepsPath(string folder, string stem, SubjectChoice choice) => Path.Combine(folder, $"{stem}.{Name(choice)}.steps.parquet");

    public static string TicksPath(string folder, string stem, SubjectChoice choice) => Path.Combine(folder, $"{stem}.{Name(choice)}.ticks.parquet");

    public static string Name(SubjectChoice choice) => choice.ToString().ToLowerInvariant();

    public static async Task WriteAsync(string folder, string stem, string videoId, SubjectChoice choice, VideoFeatures features, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var steps = new ColumnTable<FeatureStep>(features.Steps);
        steps.String("video_id", _ => videoId);
        steps.Int("subject", s => s.Subject);
        steps.Int("step", s => s.Step);
        steps.Double("time_s", s => s.Time);
        steps.Bool("face_present", s => s.FacePresent);
        steps.Bool("audio_present", s => s.Audio.Present);
        steps.Bool("pose_present", s => s.PosePresent);
        steps.Float("speech_prob", s => s.Audio.SpeechProbability);
        var withMesh = features.Ticks.Any(t => t.Features is { Length: > FaceFeature.ExpressionCount });
        AddFace(steps, s => s.Face, withMesh);
        for (var i = 0; i < features.AudioColumns.Count; i++)
        {
            var at = i;
            steps.Float(features.AudioColumns[i], s => s.Audio.Features[at]);
        }
        for (var k = 0; k < CocoKeypoints.Names.Length; k++)
        {
            var at = k * 3;
            steps.NullableFloat($"pose_{CocoKeypoints.Names[k]}_x", s => s.Pose?[at]);
            steps.NullableFloat($"pose_{CocoKeypoints.Names[k]}_y", s => s.Pose?[at + 1]);
            steps.NullableFloat($"pose_{CocoKeypoints.Names[k]}_c", s => s.Pose?[at + 2]);
        }

        var ticks = new ColumnTable<FaceTick>(features.Ticks);
        ticks.String("video_id", _ => videoId);
        ticks.Int("subject", t => t.Subject);
        ticks.Int("tick", t => t.Tick);
        ticks.Double("time_s", t => t.Time);
        ticks.Long("frame_index", t => t.FrameIndex);
        ticks.Bool("face_present", t => t.Face is not null);
        ticks.NullableFloat("score", t => t.Face?.Score);
        ticks.NullableFloat("x1", t => t.Face?.X1);
        ticks.NullableFloat("y1", t => t.Face?.Y1);
        ticks.NullableFloat("x2", t => t.Face?.X2);
        ticks.NullableFloat("y2", t => t.Face?.Y2);
        AddFace(ticks, t => t.Features, withMesh);

        var meta = new Dictionary<string, string>(metadata)
        {
            [OutputMetadata.Prefix + "schema"] = Schema,
            [OutputMetadata.Prefix + "step_hz"] = (1 / Audio.AudioTimeline.StepSeconds).ToString(CultureInfo.InvariantCulture),
            [OutputMetadata.Prefix + "expression_classes"] = string.Join(",", ExpressionModel.ClassNames),
        };
        AddSubjects(meta, choice, features);
        // Ticks first: the steps file, written last, marks the pair complete.
        await ticks.WriteAsync(TicksPath(folder, stem, choice), meta, cancellationToken);
        await steps.WriteAsync(StepsPath(folder, stem, choice), meta, cancellationToken);
    }

    /// <summary>Whose rows a per-subject output holds, shared by the features and the predictions: the subject choice, the subjects, the video's frame count and the face-stream rate.</summary>
    public static void AddSubjects(IDictionary<string, string> metadata, SubjectChoice choice, VideoFeatures features)
    {
        metadata[OutputMetadata.Prefix + "subject_choice"] = Name(choice);
        metadata[OutputMetadata.Prefix + "subjects"] = string.Join(",", features.Subjects);
        metadata[OutputMetadata.Prefix + "video_frame_count"] = features.FrameCount.ToString(CultureInfo.InvariantCulture);
        metadata[OutputMetadata.Prefix + "face_stream_hz"] = Decoding.FrameSampling.FaceStream.RateHz.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The expression log-probability columns, in the model's class order.</summary>
    public static IEnumerable<string> ExpressionColumns() => ExpressionModel.ClassNames.Select(c => $"face_logp_{c}");

    /// <summary>The mesh measure columns, in <see cref="FaceFeature.MeshNames"/>' order (present when the faces had meshes).</summary>
    public static IEnumerable<string> MeshColumns() => FaceFeature.MeshNames.Select(n => $"face_mesh_{n}");

    private static void AddFace<TRow>(ColumnTable<TRow> table, Func<TRow, float[]?> face, bool withMesh)
    {
        for (var i = 0; i < FaceFeature.EmbeddingCount; i++)
        {
            var at = i;
            table.NullableFloat($"face_emb_{i:000}", r => face(r)?[at]);
        }
        for (var c = 0; c < ExpressionModel.ClassNames.Length; c++)
        {
            var at = FaceFeature.EmbeddingCount + c;
            table.NullableFloat($"face_logp_{ExpressionModel.ClassNames[c]}", r => face(r)?[at]);
        }
        var names = MeshColumns().ToArray();
        for (var m = 0; withMesh && m < names.Length; m++)
        {
            var at = FaceFeature.ExpressionCount + m;
            table.NullableFloat(names[m], r => face(r)?[at]);
        }
    }
}
