using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Files;
using Parquet.Schema;
using Parquet;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Writes one video's face detections as Parquet (schema <c>faces/3</c>, documented in the README): one row per face
/// per processed frame, and one row with null face columns for a processed frame without faces, so every processed
/// frame is present. With meshes, each face also gets its head pose, measures and 468 landmarks (null without).
/// Coordinates are pixels of the displayed video. Rows are flushed in row groups, so memory stays
/// flat however long the video; the file appears under its final name only after <see cref="CompleteAsync"/>.
/// </summary>
public sealed class FaceParquetWriter : IAsyncDisposable
{
    public const string Schema = "faces/3";
    public const string Suffix = ".faces.parquet";
    private const int RowGroupRows = 4096;

    // A row with its mesh adds 1,404 points (5.6 KB) and as many definition and repetition levels to the group's points
    // column: 512 meshed rows keep each array at about 3 MB. At 4,096 such rows a flush made about 250 MB of
    // large-object garbage (a 23 MB column, its levels, their growing lists), which kept a many-face video's resident
    // memory growing.
    private const int MeshRowGroupRows = 512;

    private int _meshRows;

    private static readonly DataField<string> VideoId = new("video_id");
    private static readonly DataField<long> FrameIndex = new("frame_index");
    private static readonly DataField<double> Timestamp = new("timestamp_s");
    private static readonly DataField<int> FaceCount = new("face_count");
    private static readonly DataField<int?> FaceIndex = new("face_index");
    private static readonly DataField<float?> Score = new("score");
    private static readonly DataField<float?>[] Box = [new("x1"), new("y1"), new("x2"), new("y2")];
    private static readonly DataField<float?>[] Keypoints = FaceDetection.KeypointNames
        .SelectMany(n => new DataField<float?>[] { new(n + "_x"), new(n + "_y") }).ToArray();

    private static readonly DataField<float?> MeshScore = new("mesh_score");
    private static readonly DataField<float?>[] Measures =
        new[] { "yaw_deg", "pitch_deg", "roll_deg", "eye_open_right", "eye_open_left", "mouth_open", "mouth_width", "brow_raise", "gaze_yaw_deg", "gaze_pitch_deg", "iris_right_x", "iris_right_y", "iris_left_x", "iris_left_y" }.Select(n => new DataField<float?>(n)).ToArray();
    private static readonly DataField<float> MeshPoint = new("element");
    private static readonly ListField Mesh = new("mesh", MeshPoint);

    public static readonly ParquetSchema ParquetSchema = new(
        new Field[] { VideoId, FrameIndex, Timestamp, FaceCount, FaceIndex, Score }.Concat(Box).Concat(Keypoints).Concat([MeshScore]).Concat(Measures).Append(Mesh).ToArray());

    private readonly AtomicFile _file;
    private readonly ParquetWriter _writer;
    private readonly string _videoId;
    private readonly List<long> _frameIndex = new();
    private readonly List<double> _timestamp = new();
    private readonly List<int> _faceCount = new();
    private readonly List<int?> _faceIndex = new();
    private readonly List<float?> _score = new();
    private readonly List<float?>[] _box = Enumerable.Range(0, 4).Select(_ => new List<float?>()).ToArray();
    private readonly List<float?>[] _keypoints = Enumerable.Range(0, FaceDetection.KeypointCount * 2).Select(_ => new List<float?>()).ToArray();
    private readonly List<float?> _meshScore = new();
    private readonly List<float?>[] _measures = Enumerable.Range(0, Measures.Length).Select(_ => new List<float?>()).ToArray();
    private readonly MeshColumn _mesh = new(MeshPoint.MaxDefinitionLevel);
    private float[] _shownPoints = [];   // a row's mesh in displayed pixels, rewritten per row (copied into _mesh)

    private bool _completed;

    private FaceParquetWriter(AtomicFile file, ParquetWriter writer, string videoId)
    {
        _file = file;
        _writer = writer;
        _videoId = videoId;
    }

    public long Rows { get; private set; }

    /// <summary>A video's faces file: <c>&lt;stem&gt;.faces.parquet</c>.</summary>
    public static string PathFor(string folder, string stem) => System.IO.Path.Combine(folder, stem + Suffix);

    public static async Task<FaceParquetWriter> CreateAsync(string path, string videoId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        // Ownership passes to the writer returned (disposed here if making it fails): CA2000 cannot follow that.
#pragma warning disable CA2000
        var file = new AtomicFile(path);
#pragma warning restore CA2000
        try
        {
            var writer = await ParquetWriter.CreateAsync(ParquetSchema, file.Stream, ParquetPools.Options, cancellationToken: cancellationToken);
            writer.CustomMetadata = metadata;
            return new FaceParquetWriter(file, writer, videoId);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds one processed frame; <paramref name="scaleX"/>/<paramref name="scaleY"/> map decoded pixels to displayed-video pixels.</summary>
    public async Task AddFrameAsync(long frameIndex, double timestamp, IReadOnlyList<FaceDetection> faces, IReadOnlyList<FaceMesh>? meshes, float scaleX, float scaleY, CancellationToken cancellationToken)
    {
        if (faces.Count == 0)
        {
            AddRow(frameIndex, timestamp, 0, null, null, scaleX, scaleY);
        }
        for (var i = 0; i < faces.Count; i++)
        {
            AddRow(frameIndex, timestamp, faces.Count, (i, faces[i]), meshes?[i], scaleX, scaleY);
        }
        if (_frameIndex.Count >= RowGroupRows || _meshRows >= MeshRowGroupRows)
        {
            await FlushAsync(cancellationToken);
        }
    }

    private void AddRow(long frameIndex, double timestamp, int faceCount, (int Index, FaceDetection Face)? face, FaceMesh? mesh, float scaleX, float scaleY)
    {
        _frameIndex.Add(frameIndex);
        _timestamp.Add(timestamp);
        _faceCount.Add(faceCount);
        _faceIndex.Add(face?.Index);
        _score.Add(face?.Face.Score);
        var f = face?.Face;
        _box[0].Add(f?.X1 * scaleX);
        _box[1].Add(f?.Y1 * scaleY);
        _box[2].Add(f?.X2 * scaleX);
        _box[3].Add(f?.Y2 * scaleY);
        for (var k = 0; k < _keypoints.Length; k++)
        {
            _keypoints[k].Add(f?.Keypoints[k] * (k % 2 == 0 ? scaleX : scaleY));
        }
        // Measured on the displayed picture's pixels (depth scaled as x), so a stretched video reads its true angles.
        if (mesh is not null && _shownPoints.Length != mesh.Points.Length)
        {
            _shownPoints = new float[mesh.Points.Length];
        }
        var shown = mesh is null ? null : Displayed(mesh, scaleX, scaleY, _shownPoints);
        var measures = shown is null ? null : FaceMeasures.From(shown);
        _meshScore.Add(shown?.Score);
        var (right, left) = (shown?.IrisCentre(leftEye: false), shown?.IrisCentre(leftEye: true));
        float?[] values = measures is null ? new float?[Measures.Length]
            : [measures.Yaw, measures.Pitch, measures.Roll, measures.EyeOpenRight, measures.EyeOpenLeft, measures.MouthOpen, measures.MouthWidth, measures.BrowRaise,
                NullIfNaN(measures.GazeYaw), NullIfNaN(measures.GazePitch), right?.X, right?.Y, left?.X, left?.Y];
        for (var m = 0; m < Measures.Length; m++)
        {
            _measures[m].Add(values[m]);
        }
        _mesh.Add(shown?.Points);
        _meshRows += shown is null ? 0 : 1;
        Rows++;
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_frameIndex.Count == 0)
        {
            return;
        }
        using (var group = _writer.CreateRowGroup())
        {
            await group.WriteAsync(VideoId, Enumerable.Repeat(_videoId, _frameIndex.Count).ToArray());
            await group.WriteAsync<long>(FrameIndex, _frameIndex.ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<double>(Timestamp, _timestamp.ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(FaceCount, _faceCount.ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(FaceIndex, _faceIndex.ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<float>(Score, _score.ToArray(), cancellationToken: cancellationToken);
            for (var i = 0; i < Box.Length; i++)
            {
                await group.WriteAsync<float>(Box[i], _box[i].ToArray(), cancellationToken: cancellationToken);
            }
            for (var i = 0; i < Keypoints.Length; i++)
            {
                await group.WriteAsync<float>(Keypoints[i], _keypoints[i].ToArray(), cancellationToken: cancellationToken);
            }
            await group.WriteAsync<float>(MeshScore, _meshScore.ToArray(), cancellationToken: cancellationToken);
            for (var i = 0; i < Measures.Length; i++)
            {
                await group.WriteAsync<float>(Measures[i], _measures[i].ToArray(), cancellationToken: cancellationToken);
            }
            await WriteMeshAsync(group, cancellationToken);
        }
        foreach (var list in new System.Collections.IList[] { _frameIndex, _timestamp, _faceCount, _faceIndex, _score, _meshScore }.Concat(_box).Concat(_keypoints).Concat(_measures))
        {
            list.Clear();
        }
        _mesh.Clear();
        _meshRows = 0;
    }

    private static float? NullIfNaN(float value) => float.IsNaN(value) ? null : value;

    /// <summary>The mesh in displayed-video pixels (its points written into <paramref name="points"/>): x and depth scaled by <paramref name="scaleX"/>, y by <paramref name="scaleY"/>.</summary>
    private static FaceMesh Displayed(FaceMesh mesh, float scaleX, float scaleY, float[] points)
    {
        for (var p = 0; p < points.Length; p += 3)
        {
            (points[p], points[p + 1], points[p + 2]) = (mesh.Points[p] * scaleX, mesh.Points[p + 1] * scaleY, mesh.Points[p + 2] * scaleX);
        }
        var irises = mesh.Irises?.Select((v, i) => v * (i % 2 == 0 ? scaleX : scaleY)).ToArray();
        return mesh with { Points = points, Irises = irises };
    }

    private Task WriteMeshAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken) =>
        group.WriteAllPartsAsync<float>(MeshPoint, _mesh.Values, _mesh.Definition, _mesh.Repetition, cancellationToken);

    /// <summary>Writes the remaining rows and the footer, then publishes the file under its final name.</summary>
    /// <param name="finalMetadata">Metadata only known at the end (e.g. the video's frame count), added to the footer.</param>
    public async Task CompleteAsync(IReadOnlyDictionary<string, string> finalMetadata, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        var metadata = new Dictionary<string, string>(_writer.CustomMetadata);
        foreach (var (key, value) in finalMetadata)
        {
            metadata[key] = value;
        }
        _writer.CustomMetadata = metadata;
        _completed = true;
        await _writer.DisposeAsync();
        await _file.CommitAsync(cancellationToken);
    }

    /// <summary>Without <see cref="CompleteAsync"/>, disposal discards the temp file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _completed = true;
            try
            {
                await _writer.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Abandoning a file that failed to write: the temp file is deleted below either way.
            }
        }
        // A no-op after a successful commit; otherwise deletes the temp file.
        await _file.DisposeAsync();
    }
}
