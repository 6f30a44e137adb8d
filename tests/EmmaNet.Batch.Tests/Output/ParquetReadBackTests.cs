using System.Text.Json;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Output;

/// <summary>What <c>analyze</c> writes for real sample videos, read back by DuckDB.</summary>
[Collection(ModelsCollection.Name)]
public sealed class ParquetReadBackTests(ModelFixture models)
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (TempFolder Out, IReadOnlyList<VideoOutcome> Outcomes)? _run;

    private TempFolder OutputFolder => Run().Out;

    private IReadOnlyList<VideoOutcome> Outcomes => Run().Outcomes;

    /// <summary>One analyze run shared by the tests of this class.</summary>
    private (TempFolder Out, IReadOnlyList<VideoOutcome> Outcomes) Run()
    {
        Once.Wait();
        try
        {
            if (_run is null)
            {
                var folder = new TempFolder();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
                using var mesh = new FaceMeshModel(models.Store, models.Sessions);
                var (videos, _) = InputScanner.Scan([TestPaths.FacesVideo, TestPaths.Megamind]);
                // What `analyze --no-fusion` runs: the detector and the mesh.
                var outcomes = new AnalyzePipeline(new FfmpegVideoSource(), new FrameAnalyzer(models.Detector, mesh: mesh), NullLogger.Instance)
                    .RunAsync(videos, new AnalyzeOptions(folder.Path), null, CancellationToken.None).GetAwaiter().GetResult();
                _run = (folder, outcomes);
            }
            return _run.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    private string Glob => Path.Combine(OutputFolder.Path, "*" + FaceParquetWriter.Suffix);

    [Fact]
    public void Both_videos_are_done()
    {
        Assert.All(Outcomes, o => Assert.Equal(VideoStatus.Done, o.Status));
        Assert.Equal(["Megamind.faces.parquet", "faces.faces.parquet"], Directory.GetFiles(OutputFolder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Row_and_frame_counts_match_what_was_written()
    {
        var rows = DuckDb.Query($"SELECT video_id, count(*) AS n, count(DISTINCT frame_index) AS frames, count(face_index) AS faces FROM '{Glob}' GROUP BY video_id ORDER BY video_id");
        Assert.Equal(["Megamind", "faces"], rows.Select(r => r.Text("video_id")));
        foreach (var row in rows)
        {
            var outcome = Outcomes.Single(o => o.Input.VideoId == row.Text("video_id"));
            Assert.Equal(outcome.ProcessedFrames, row.Count("frames"));
            Assert.Equal(outcome.Faces, row.Count("faces"));
        }
        // 30 s at 6 Hz; 11.26 s at 6 Hz.
        Assert.Equal(180, rows[1].Count("frames"));
        Assert.Equal(68, rows[0].Count("frames"));
    }

    [Fact]
    public void Every_processed_frame_has_a_row_and_face_count_agrees_with_its_rows()
    {
        var bad = DuckDb.Query($"SELECT video_id, frame_index FROM '{Glob}' GROUP BY video_id, frame_index, face_count HAVING count(face_index) <> face_count");
        Assert.Empty(bad);
    }

    [Fact]
    public void Column_types_are_what_the_readme_documents()
    {
        var types = DuckDb.Query($"DESCRIBE SELECT * FROM '{Glob}'").ToDictionary(r => r.Text("column_name"), r => r.Text("column_type"));
        Assert.Equal("VARCHAR", types["video_id"]);
        Assert.Equal("BIGINT", types["frame_index"]);
        Assert.Equal("DOUBLE", types["timestamp_s"]);
        Assert.Equal("INTEGER", types["face_count"]);
        Assert.Equal("INTEGER", types["face_index"]);
        Assert.Equal("FLOAT", types["score"]);
        foreach (var c in new[] { "x1", "y1", "x2", "y2", "right_eye_x", "left_eye_y", "nose_tip_x", "mouth_center_y", "right_ear_x", "left_ear_y" })
        {
            Assert.Equal("FLOAT", types[c]);
        }
        Assert.Equal("FLOAT", types["mesh_score"]);
        foreach (var c in new[] { "yaw_deg", "pitch_deg", "roll_deg", "eye_open_right", "eye_open_left", "mouth_open", "mouth_width", "brow_raise", "gaze_yaw_deg", "gaze_pitch_deg", "iris_right_x", "iris_right_y", "iris_left_x", "iris_left_y" })
        {
            Assert.Equal("FLOAT", types[c]);
        }
        Assert.Equal("FLOAT[]", types["mesh"]);
        Assert.Equal(6 + 4 + 12 + 1 + 14 + 1, types.Count);
    }

    [Fact]
    public void Metadata_names_tool_model_checksum_and_provider()
    {
        var file = Path.Combine(OutputFolder.Path, "faces" + FaceParquetWriter.Suffix);
        var meta = DuckDb.Query($"SELECT key::VARCHAR AS k, value::VARCHAR AS v FROM parquet_kv_metadata('{file}')").ToDictionary(r => r.Text("k"), r => r.Text("v"));
        Assert.Equal(Tool.Version, meta["emmanet.tool_version"]);
        Assert.Equal("faces/3", meta["emmanet.schema"]);
        Assert.Equal(models.Store.Manifest.Get(FaceMeshModel.ModelId).Sha256, meta["emmanet.model.face_mesh.sha256"]);
        Assert.Equal(models.Store.Manifest.Get(IrisModel.ModelId).Sha256, meta["emmanet.model.face_iris.sha256"]);
        Assert.Equal("CPUExecutionProvider", meta["emmanet.execution_provider"]);
        Assert.Equal("face_detection_back_256x256_batched.onnx", meta["emmanet.model.face_detector.file"]);
        Assert.Equal(models.Store.Manifest.Get("blazeface-back-256").Sha256, meta["emmanet.model.face_detector.sha256"]);
        Assert.Equal("900", meta["emmanet.video_frame_count"]);
        Assert.Equal("180", meta["emmanet.processed_frames"]);
    }

    [Fact]
    public void Boxes_are_in_displayed_video_pixels()
    {
        var row = DuckDb.Query($"SELECT min(x1) AS x1, max(x2) AS x2, max(y2) AS y2 FROM '{Path.Combine(OutputFolder.Path, "faces" + FaceParquetWriter.Suffix)}'").Single();
        Assert.InRange(row["x1"].GetDouble(), 0, 1280);
        Assert.InRange(row["x2"].GetDouble(), 640, 1280);
        Assert.InRange(row["y2"].GetDouble(), 0, 720);
    }

    [Fact]
    public void Every_face_has_a_mesh_of_468_points_and_a_frame_without_faces_has_none()
    {
        var rows = DuckDb.Query($"SELECT count(face_index) AS faces, count(mesh) AS meshes, min(len(mesh)) AS shortest, max(len(mesh)) AS longest, count(*) FILTER (WHERE face_index IS NULL AND mesh IS NOT NULL) AS stray FROM '{Glob}'").Single();
        Assert.Equal(rows.Count("faces"), rows.Count("meshes"));
        Assert.Equal(FaceMesh.PointCount * 3, rows.Count("shortest"));
        Assert.Equal(FaceMesh.PointCount * 3, rows.Count("longest"));
        Assert.Equal(0, rows.Count("stray"));
        // The mesh lies on its face: the nose tip (point 1) inside the detection box.
        var outside = DuckDb.Query($"SELECT count(*) AS n FROM '{Glob}' WHERE mesh IS NOT NULL AND NOT (mesh[4] BETWEEN x1 AND x2 AND mesh[5] BETWEEN y1 AND y2)").Single();
        Assert.Equal(0, outside.Count("n"));
    }

    [Fact]
    public void Every_face_has_its_gaze_and_each_iris_lies_between_its_eyes_corners()
    {
        var rows = DuckDb.Query($"SELECT count(face_index) AS faces, count(gaze_yaw_deg) AS gazes, count(iris_left_y) AS irises, count(*) FILTER (WHERE face_index IS NULL AND gaze_pitch_deg IS NOT NULL) AS stray FROM '{Glob}'").Single();
        Assert.Equal(rows.Count("faces"), rows.Count("gazes"));
        Assert.Equal(rows.Count("faces"), rows.Count("irises"));
        Assert.Equal(0, rows.Count("stray"));
        // The right iris between mesh points 33 and 133 (x), the left between 362 and 263; lists count from 1.
        var outside = DuckDb.Query(
            $"SELECT count(*) AS n, count(*) FILTER (WHERE NOT (iris_right_x BETWEEN least(mesh[100], mesh[400]) AND greatest(mesh[100], mesh[400]) " +
            $"AND iris_left_x BETWEEN least(mesh[1087], mesh[790]) AND greatest(mesh[1087], mesh[790]))) AS outside FROM '{Glob}' WHERE mesh IS NOT NULL").Single();
        Assert.True(outside.Count("outside") <= outside.Count("n") / 50, $"{outside.Count("outside")} of {outside.Count("n")} faces have an iris outside its eye's corners");
    }

    /// <summary>
    /// The gaze judged by looking at enlarged eyes (samples/judged-gaze.json): left and right read at least 10 degrees
    /// that way, centre less than 10 either way, and every face judged to look up higher than every centre one of the same video.
    /// </summary>
    [Fact]
    public void Gaze_points_where_the_eyes_were_judged_to_look()
    {
        using var judged = JsonDocument.Parse(File.ReadAllText(TestPaths.JudgedGaze));
        var read = new List<(string Key, string Video, string Gaze, double Yaw, double Pitch)>();
        foreach (var face in judged.RootElement.GetProperty("faces").EnumerateArray())
        {
            var (key, video, nearest) = JudgedRow(face, "gaze_yaw_deg AS yaw, gaze_pitch_deg AS pitch");
            read.Add((key, video, face.GetProperty("gaze").GetString()!, nearest["yaw"].GetDouble(), nearest["pitch"].GetDouble()));
        }
        foreach (var (key, video, gaze, yaw, pitch) in read)
        {
            Action check = gaze switch
            {
                "left" => () => Assert.True(yaw <= -10, $"{key}: judged left, gaze yaw {yaw:F1}"),
                "right" => () => Assert.True(yaw >= 10, $"{key}: judged right, gaze yaw {yaw:F1}"),
                "centre" => () => Assert.True(Math.Abs(yaw) < 10, $"{key}: judged centre, gaze yaw {yaw:F1}"),
                "up" => () => Assert.True(read.Where(r => r.Video == video && r.Gaze == "centre").All(r => pitch > r.Pitch), $"{key}: judged up, gaze pitch {pitch:F1}, not above every centre face of {video}"),
                _ => throw new InvalidDataException($"{key}: unknown gaze '{gaze}'"),
            };
            check();
        }
        Assert.Equal(14, read.Count);
    }

    /// <summary>The head poses judged by looking at the sample photos (samples/judged-head-pose.json) against the median yaw and pitch of each face over its photo's 5 s.</summary>
    [Fact]
    public void Head_pose_has_the_sign_of_the_turns_judged_by_looking()
    {
        var file = Path.Combine(OutputFolder.Path, "faces" + FaceParquetWriter.Suffix);
        var poses = DuckDb.Query(
            $"SELECT photo, face, median(yaw_deg) AS yaw, median(pitch_deg) AS pitch FROM (SELECT CAST(floor(timestamp_s / 5) AS INTEGER) + 1 AS photo, " +
            $"CAST(rank() OVER (PARTITION BY frame_index ORDER BY x1 + x2) AS INTEGER) - 1 AS face, yaw_deg, pitch_deg FROM '{file}' WHERE face_index IS NOT NULL) GROUP BY photo, face")
            .ToDictionary(r => $"sample{r.Count("photo")}.jpg/{r.Count("face")}", r => (Yaw: r["yaw"].GetDouble(), Pitch: r["pitch"].GetDouble()));
        using var judged = JsonDocument.Parse(File.ReadAllText(TestPaths.JudgedHeadPose));
        var checkedFaces = 0;
        foreach (var face in judged.RootElement.GetProperty("faces").EnumerateArray())
        {
            var key = $"{face.GetProperty("photo").GetString()}/{face.GetProperty("face").GetInt32()}";
            var (yaw, pitch) = poses[key];
            var pose = face.GetProperty("pose").GetString();
            Action check = pose switch
            {
                "turned toward the picture's left" => () => Assert.True(yaw < -15, $"{key}: yaw {yaw:F0}"),
                "turned toward the picture's right" => () => Assert.True(yaw > 15, $"{key}: yaw {yaw:F0}"),
                "frontal" => () => Assert.True(Math.Abs(yaw) < 15 && Math.Abs(pitch) < 15, $"{key}: yaw {yaw:F0}, pitch {pitch:F0}"),
                "looking down" => () => Assert.True(pitch < -15, $"{key}: pitch {pitch:F0}"),
                _ => throw new InvalidDataException($"{key}: unknown pose '{pose}'"),
            };
            check();
            checkedFaces++;
        }
        Assert.Equal(7, checkedFaces);
    }

    /// <summary>
    /// The measures judged by looking at Megamind's two large faces (samples/judged-face-measures.json): within each
    /// person, every face judged to have closed eyes, a closed mouth, a round mouth or lowered brows reads less than
    /// every face of the opposite judgement.
    /// </summary>
    [Fact]
    public void Eye_mouth_and_brow_measures_order_faces_as_they_were_judged()
    {
        using var judged = JsonDocument.Parse(File.ReadAllText(TestPaths.JudgedFaceMeasures));
        (string Attribute, string Low, string High, string Column)[] comparisons =
        [
            ("eyes", "closed", "open", "(eye_open_right + eye_open_left) / 2"),
            ("mouth", "closed", "open", "mouth_open"),
            ("mouth_shape", "round", "wide smile", "mouth_width"),
            ("brows", "lowered", "level", "brow_raise"),
        ];
        foreach (var (attribute, low, high, column) in comparisons)
        {
            var read = new List<(string Key, string Person, string Judged, double Value)>();
            foreach (var face in judged.RootElement.GetProperty("faces").EnumerateArray().Where(f => f.TryGetProperty(attribute, out _)))
            {
                var (key, _, nearest) = JudgedRow(face, $"{column} AS v");
                read.Add((key, face.GetProperty("person").GetString()!, face.GetProperty(attribute).GetString()!, nearest["v"].GetDouble()));
            }
            var pairs = 0;
            foreach (var a in read.Where(r => r.Judged == low))
            {
                foreach (var b in read.Where(r => r.Judged == high && r.Person == a.Person))
                {
                    Assert.True(a.Value < b.Value, $"{attribute}: {a.Key} judged {low} reads {a.Value:F3}, not below {b.Key} judged {high} ({b.Value:F3})");
                    pairs++;
                }
            }
            Assert.True(pairs >= 2, $"{attribute}: only {pairs} judged pairs");
        }
    }

    /// <summary>The faces.parquet row of a judged face: the detected face nearest its centre in its frame.</summary>
    private (string Key, string Video, Dictionary<string, JsonElement> Row) JudgedRow(JsonElement face, string columns)
    {
        var video = Path.GetFileNameWithoutExtension(face.GetProperty("video").GetString()!);
        var frame = face.GetProperty("frame_index").GetInt64();
        var centre = face.GetProperty("centre").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var file = Path.Combine(OutputFolder.Path, video + FaceParquetWriter.Suffix);
        var nearest = DuckDb.Query(
            $"SELECT {columns}, sqrt(power((x1 + x2) / 2 - {centre[0]}, 2) + power((y1 + y2) / 2 - {centre[1]}, 2)) AS d " +
            $"FROM '{file}' WHERE frame_index = {frame} AND face_index IS NOT NULL ORDER BY d LIMIT 1").Single();
        var key = $"{video}@{frame}";
        Assert.True(nearest["d"].GetDouble() < 20, $"{key}: no face within 20 px of the judged one");
        return (key, video, nearest);
    }
}
