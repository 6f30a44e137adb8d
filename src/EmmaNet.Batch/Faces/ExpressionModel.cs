using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Models.Conversion;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>The expression CNN's reading of one face: 7 class log-probabilities and the 256-d pooled embedding.</summary>
public sealed record ExpressionFeatures(float[] LogProbabilities, float[] Embedding)
{
    public int TopClass => Array.IndexOf(LogProbabilities, LogProbabilities.Max());
}

/// <summary>
/// The product's expression network: face-api's expression net (rebuilt by <see cref="FaceApiExpressionNet"/>) on
/// 112x112 face crops, RGB 0..255 as face-api feeds it; chosen over the mini-Xception by the judged faces
/// (docs/benchmarks.md). Readings come back in the FER-2013 order of <see cref="ClassNames"/> (face-api's own order is
/// neutral, happy, sad, angry, fearful, disgusted, surprised), the order of the features' columns.
/// </summary>
public sealed class ExpressionModel : IDisposable
{
    public const string ModelId = "faceapi-expression";
    public const int InputSize = FaceApiExpressionNet.InputSize;

    /// <summary>The classes of the readings (FER-2013's names and order).</summary>
    public static readonly string[] ClassNames = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

    /// <summary>For each FER-2013 class (angry, disgust, fear, happy, sad, surprise, neutral), its index in face-api's output.</summary>
    private static readonly int[] FromFaceApi = [3, 5, 4, 1, 2, 6, 0];

    private readonly OnnxModel _onnx;

    /// <summary>The input, grown to the largest call and kept: a new one each call (150 KB a face) was large-object garbage that brought on full collections.</summary>
    private float[] _input = [];

    public ExpressionModel(ModelStore models, SessionFactory sessions) => _onnx = OnnxModel.FromStore(models, ModelId, sessions);

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>Features for each 112x112 BGR crop, in order.</summary>
    public IReadOnlyList<ExpressionFeatures> Run(IReadOnlyList<BgrImage> crops)
    {
        if (crops.Count == 0)
        {
            return [];
        }
        const int pixels = InputSize * InputSize * 3;
        if (_input.Length < crops.Count * pixels)
        {
            _input = new float[crops.Count * pixels];
        }
        var input = _input.AsMemory(0, crops.Count * pixels);
        for (var i = 0; i < crops.Count; i++)
        {
            if (crops[i].Width != InputSize || crops[i].Height != InputSize)
            {
                throw new ArgumentException($"face-api expression input must be a {InputSize}x{InputSize} BGR crop");
            }
            var bgr = crops[i].Pixels;
            var rgb = input.Span.Slice(i * pixels, pixels);
            for (var p = 0; p < pixels; p += 3)
            {
                (rgb[p], rgb[p + 1], rgb[p + 2]) = (bgr[p + 2], bgr[p + 1], bgr[p]);
            }
        }
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, [crops.Count, InputSize, InputSize, 3]);
        using var outputs = _onnx.Run([_onnx.InputNames[0]], [value], ["probabilities", "embedding"]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>();
        var embedding = outputs[1].GetTensorDataAsSpan<float>();
        var result = new ExpressionFeatures[crops.Count];
        for (var i = 0; i < crops.Count; i++)
        {
            var own = probabilities.Slice(i * FromFaceApi.Length, FromFaceApi.Length);
            var logp = new float[FromFaceApi.Length];
            for (var c = 0; c < logp.Length; c++)
            {
                logp[c] = MathF.Log(Math.Max(own[FromFaceApi[c]], 1e-12f));
            }
            result[i] = new ExpressionFeatures(logp, embedding.Slice(i * 256, 256).ToArray());
        }
        return result;
    }

    public void Dispose() => _onnx.Dispose();
}
