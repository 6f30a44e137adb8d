using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Who a face is: the human-models <c>faceres</c> network (HSE FaceRes, converted from TF.js) reads an eye-levelled
/// crop, RGB 0..255 at 224 x 224, and its global pooling layer gives a 1024-value descriptor, returned L2-normalised
/// so that the dot product of two is their cosine similarity.
/// </summary>
public sealed class FaceIdentityModel : IDisposable
{
    public const string ModelId = "faceres";
    public const int InputSize = 224;
    public const int DescriptorSize = 1024;

    private readonly OnnxModel _onnx;
    private readonly string _input;

    public FaceIdentityModel(ModelStore models, SessionFactory sessions)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        _input = _onnx.InputNames[0];
    }

    /// <summary>The crop the descriptor reads (its box scale chosen on the samples: docs/benchmarks.md).</summary>
    public static FaceAligner Aligner { get; } = new(InputSize, margin: 1.25f);

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>A unit-length descriptor for each 224 x 224 BGR crop, in order.</summary>
    public IReadOnlyList<float[]> Run(IReadOnlyList<BgrImage> crops)
    {
        if (crops.Count == 0)
        {
            return [];
        }
        const int plane = InputSize * InputSize * 3;
        var input = new float[crops.Count * plane];
        for (var i = 0; i < crops.Count; i++)
        {
            Rgb(crops[i], input.AsSpan(i * plane, plane));
        }
        using var value = OrtValue.CreateTensorValueFromMemory(input, [crops.Count, InputSize, InputSize, 3]);
        using var outputs = _onnx.Run([_input], [value], ["descriptor"]);
        var all = outputs[0].GetTensorDataAsSpan<float>();
        var result = new float[crops.Count][];
        for (var i = 0; i < crops.Count; i++)
        {
            var d = all.Slice(i * DescriptorSize, DescriptorSize).ToArray();
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(d);
            System.Numerics.Tensors.TensorPrimitives.Divide(d, norm > 0 ? norm : 1, d);
            result[i] = d;
        }
        return result;
    }

    private static void Rgb(BgrImage crop, Span<float> destination)
    {
        if (crop.Height != InputSize || crop.Width != InputSize)
        {
            throw new ArgumentException($"identity model input must be a {InputSize}x{InputSize} BGR crop");
        }
        for (var y = 0; y < InputSize; y++)
        {
            var row = crop.Row(y);
            for (var x = 0; x < InputSize; x++)
            {
                var at = ((y * InputSize) + x) * 3;
                destination[at] = row[(x * 3) + 2];
                destination[at + 1] = row[(x * 3) + 1];
                destination[at + 2] = row[x * 3];
            }
        }
    }

    public void Dispose() => _onnx.Dispose();
}
