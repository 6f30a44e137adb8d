using System.Globalization;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// The two Parquet tables <c>extract</c> writes per video and subject choice (schema <c>features/2</c>, documented in
/// the README): <c>&lt;stem&gt;.&lt;choice&gt;.steps.parquet</c>, one row per subject and 2 Hz step with every modality's
/// features and masks, and <c>&lt;stem&gt;.&lt;choice&gt;.ticks.parquet</c>, one row per subject and 6 Hz face tick.
/// The columns are named once, in <see cref="Column"/>; <see cref="ReadAsync"/> reads both tables back and says what is
/// missing or damaged, naming the file.
/// </summary>
public static class FeatureTables
{
    public const string Schema = "features/2";

    /// <summary>The column names of both tables, for the writer and the reader.</summary>
    public static class Column
    {
        public const string VideoId = "video_id";
        public const string Subject = "subject";
        public const string Step = "step";
        public const string Tick = "tick";
        public const string Time = "time_s";
        public const string FrameIndex = "frame_index";
        public const string FacePresent = "face_present";
        public const string AudioPresent = "audio_present";
        public const string PosePresent = "pose_present";
        public const string SpeechProbability = "speech_prob";
        public const string Score = "score";

        /// <summary>The voice features' columns begin so (their names come from the audio extractor).</summary>
        public const string AudioPrefix = "audio_";

        public const string PosePrefix = "pose_";

        public static string Embedding(int i) => $"face_emb_{i:000}";

        public static string Expression(string className) => $"face_logp_{className}";

        public static string Mesh(string measure) => $"face_mesh_{measure}";

        /// <summary>A COCO keypoint's coordinate or confidence: <c>pose_&lt;keypoint&gt;_x</c>, <c>_y</c>, <c>_c</c>.</summary>
        public static string Pose(string keypoint, char part) => $"{PosePrefix}{keypoint}_{part}";
    }

    public static string StepsPath(string folder, string stem, SubjectChoice choice) => Path.Combine(folder, $"{stem}.{Name(choice)}.steps.parquet");

    public static string TicksPath(string folder, string stem, SubjectChoice choice) => Path.Combine(folder, $"{stem}.{Name(choice)}.ticks.parquet");

    public static string Name(SubjectChoice choice) => choice.ToString().ToLowerInvariant();

    public static async Task WriteAsync(string folder, string stem, string videoId, SubjectChoice choice, VideoFeatures features, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var steps = new ColumnTable<FeatureStep>(features.Steps);
        steps.String(Column.VideoId, _ => videoId);
        steps.Int(Column.Subject, s => s.Subject);
        steps.Int(Column.Step, s => s.Step);
        steps.Double(Column.Time, s => s.Time);
        steps.Bool(Column.FacePresent, s => s.FacePresent);
        steps.Bool(Column.AudioPresent, s => s.Audio.Present);
        steps.Bool(Column.PosePresent, s => s.PosePresent);
        steps.Float(Column.SpeechProbability, s => s.Audio.SpeechProbability);
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
            steps.NullableFloat(Column.Pose(CocoKeypoints.Names[k], 'x'), s => s.Pose?[at]);
            steps.NullableFloat(Column.Pose(CocoKeypoints.Names[k], 'y'), s => s.Pose?[at + 1]);
            steps.NullableFloat(Column.Pose(CocoKeypoints.Names[k], 'c'), s => s.Pose?[at + 2]);
        }

        var ticks = new ColumnTable<FaceTick>(features.Ticks);
        ticks.String(Column.VideoId, _ => videoId);
        ticks.Int(Column.Subject, t => t.Subject);
        ticks.Int(Column.Tick, t => t.Tick);
        ticks.Double(Column.Time, t => t.Time);
        ticks.Long(Column.FrameIndex, t => t.FrameIndex);
        ticks.Bool(Column.FacePresent, t => t.Face is not null);
        ticks.NullableFloat(Column.Score, t => t.Face?.Score);
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
        AddSubjects(meta, choice, features.Subjects, features.FrameCount);
        // Ticks first: the steps file, written last, marks the pair complete.
        await ticks.WriteAsync(TicksPath(folder, stem, choice), meta, cancellationToken);
        await steps.WriteAsync(StepsPath(folder, stem, choice), meta, cancellationToken);
    }

    /// <summary>Whose rows a per-subject output holds, shared by the features and the predictions: the subject choice, the subjects, the video's frame count and the face-stream rate.</summary>
    public static void AddSubjects(IDictionary<string, string> metadata, SubjectChoice choice, IReadOnlyList<int> subjects, long frameCount)
    {
        metadata[OutputMetadata.Prefix + "subject_choice"] = Name(choice);
        metadata[OutputMetadata.Prefix + "subjects"] = string.Join(",", subjects);
        metadata[OutputMetadata.Prefix + "video_frame_count"] = frameCount.ToString(CultureInfo.InvariantCulture);
        metadata[OutputMetadata.Prefix + "face_stream_hz"] = Decoding.FrameSampling.FaceStream.RateHz.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The expression log-probability columns, in the model's class order.</summary>
    public static IEnumerable<string> ExpressionColumns() => ExpressionModel.ClassNames.Select(Column.Expression);

    /// <summary>The mesh measure columns, in <see cref="FaceFeature.MeshNames"/>' order (present when the faces had meshes).</summary>
    public static IEnumerable<string> MeshColumns() => FaceFeature.MeshNames.Select(Column.Mesh);

    private static void AddFace<TRow>(ColumnTable<TRow> table, Func<TRow, float[]?> face, bool withMesh)
    {
        for (var i = 0; i < FaceFeature.EmbeddingCount; i++)
        {
            var at = i;
            table.NullableFloat(Column.Embedding(i), r => face(r)?[at]);
        }
        for (var c = 0; c < ExpressionModel.ClassNames.Length; c++)
        {
            var at = FaceFeature.EmbeddingCount + c;
            table.NullableFloat(Column.Expression(ExpressionModel.ClassNames[c]), r => face(r)?[at]);
        }
        var names = MeshColumns().ToArray();
        for (var m = 0; withMesh && m < names.Length; m++)
        {
            var at = FaceFeature.ExpressionCount + m;
            table.NullableFloat(names[m], r => face(r)?[at]);
        }
    }

    /// <summary>
    /// Reads one video's two tables back (steps and ticks of one subject choice). A file that is missing or not
    /// features/2, or a column that is missing, short or empty where it must hold a value, is an error naming the file
    /// and the column. The face features are the embedding, the expression log-probabilities and, where the tables
    /// have them (extracted with the mesh), the mesh measures; the voice and body features are every <c>audio_</c> and
    /// <c>pose_</c> column in table order.
    /// </summary>
    public static async Task<FeatureFile> ReadAsync(string stepsPath, string ticksPath, CancellationToken cancellationToken)
    {
        var (stepTable, metadata) = await ParquetColumns.ReadAsync(stepsPath, Schema, "extract features", cancellationToken);
        var (tickTable, _) = await ParquetColumns.ReadAsync(ticksPath, Schema, "extract features", cancellationToken);
        var meshColumns = MeshColumns().ToArray();
        string[] faceColumns = [.. Enumerable.Range(0, FaceFeature.EmbeddingCount).Select(Column.Embedding), .. ExpressionColumns(),
            .. stepTable.ContainsKey(meshColumns[0]) ? meshColumns : []];
        var audioColumns = stepTable.Keys.Where(k => k.StartsWith(Column.AudioPrefix, StringComparison.Ordinal) && k != Column.AudioPresent).ToArray();
        var poseColumns = stepTable.Keys.Where(k => k.StartsWith(Column.PosePrefix, StringComparison.Ordinal) && k != Column.PosePresent).ToArray();

        var stepRows = ParquetColumns.Required(stepTable, Column.Step, stepsPath).Length;
        double[] Step(string column) => ParquetColumns.Required(stepTable, column, stepsPath, stepRows);
        var (stepIndex, stepSubject, facePresent, audioPresent, posePresent) =
            (Step(Column.Step), Step(Column.Subject), Step(Column.FacePresent), Step(Column.AudioPresent), Step(Column.PosePresent));
        CheckColumns(stepTable, [.. faceColumns, .. audioColumns, .. poseColumns], stepRows, stepsPath);
        var steps = new List<FeatureStepRow>(stepRows);
        for (var r = 0; r < stepRows; r++)
        {
            steps.Add(new FeatureStepRow((int)stepSubject[r], (int)stepIndex[r],
                Row(stepTable, faceColumns, r), Row(stepTable, audioColumns, r), Row(stepTable, poseColumns, r),
                facePresent[r] > 0, audioPresent[r] > 0, posePresent[r] > 0));
        }

        var tickRows = ParquetColumns.Required(tickTable, Column.Tick, ticksPath).Length;
        double[] Tick(string column) => ParquetColumns.Required(tickTable, column, ticksPath, tickRows);
        var (tickIndex, frameIndex, tickSubject, tickTime, tickFace) = (Tick(Column.Tick), Tick(Column.FrameIndex), Tick(Column.Subject), Tick(Column.Time), Tick(Column.FacePresent));
        CheckColumns(tickTable, faceColumns, tickRows, ticksPath);
        var ticks = new List<FeatureTickRow>(tickRows);
        for (var r = 0; r < tickRows; r++)
        {
            ticks.Add(new FeatureTickRow((int)tickSubject[r], (int)tickIndex[r], (long)frameIndex[r], tickTime[r], tickFace[r] > 0 ? Row(tickTable, faceColumns, r) : null));
        }
        var frameCount = long.TryParse(metadata.GetValueOrDefault(OutputMetadata.Prefix + "video_frame_count"), CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new FeatureFile(steps, ticks, frameCount, metadata);
    }

    private static void CheckColumns(Dictionary<string, double?[]> table, string[] columns, int rows, string path)
    {
        foreach (var column in columns)
        {
            if (!table.TryGetValue(column, out var values) || values.Length != rows)
            {
                throw new InvalidDataException($"{path}: feature column '{column}' is {(values is null ? "missing" : $"{values.Length} rows long, the table {rows}")}");
            }
        }
    }

    /// <summary>A row's values in the given columns, nulls (an absent modality) as 0.</summary>
    private static float[] Row(Dictionary<string, double?[]> table, string[] columns, int row)
    {
        var values = new float[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            values[i] = (float)(table[columns[i]][row] ?? 0);
        }
        return values;
    }
}

/// <summary>One row of a steps table read back: each modality's features (zeros where absent) and whether it was present.</summary>
public sealed record FeatureStepRow(int Subject, int Step, float[] Face, float[] Audio, float[] Pose, bool FacePresent, bool AudioPresent, bool PosePresent);

/// <summary>One row of a ticks table read back: the face features where the subject's face was seen, else null.</summary>
public sealed record FeatureTickRow(int Subject, int Tick, long FrameIndex, double Time, float[]? Face);

/// <summary>One video's feature tables read back, in table order, with the video's frame count and the tables' metadata.</summary>
public sealed record FeatureFile(IReadOnlyList<FeatureStepRow> Steps, IReadOnlyList<FeatureTickRow> Ticks, long FrameCount, IReadOnlyDictionary<string, string> Metadata);
