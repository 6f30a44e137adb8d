using System.Globalization;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Fusion;

/// <summary>What the exported fusion network says about one window: 8 class probabilities and each modality's attention over the T steps.</summary>
public sealed record FusionPrediction(float[] Probabilities, float[][] Attention)
{
    public int Label => Array.IndexOf(Probabilities, Probabilities.Max());
}

/// <summary>
/// An exported fusion network (<see cref="FusionExport"/>) run by ONNX Runtime on batches of windows, which may come
/// from several videos. Its metadata gives T, the feature sizes, the variant and the extractors it was trained on;
/// a file without them is refused.
/// </summary>
public sealed class FusionModel : IDisposable
{
    public const string DefaultFileName = "fusion/emmanet-default.onnx";

    private static readonly string[] Inputs = ["face_seq", "audio_seq", "pose_seq", "face_now", "mask"];
    private static readonly string[] Outputs = ["probs", "attn_face", "attn_audio", "attn_pose"];

    private readonly OnnxModel _onnx;
    private float[][]? _spare;   // the five inputs of the last call, each as large as the largest call seen
    private int _calls;
    private long _windows;

    /// <summary>The remedy named when the default model is missing or damaged.</summary>
    public const string DefaultRemedy = "run scripts/train-default-fusion.sh to train it again";

    /// <param name="requireRecord">The default model: its sha256 recorded at training must be there and match.</param>
    public FusionModel(string path, SessionFactory sessions, bool requireRecord = false)
    {
        if (!File.Exists(path))
        {
            throw new ModelException($"{path}: fusion model not found (scripts/setup.sh trains the default one; `emmanet train` makes others)");
        }
        FusionModelRecord.Verify(path, requireRecord, requireRecord ? DefaultRemedy : "train it again or remove the stale record");
        _onnx = OnnxModel.FromFile(path, "emmanet-fusion", sessions, keepOptimised: false);
        try
        {
            var meta = _onnx.CustomMetadata;
            if (!meta.TryGetValue("emmanet.fusion.format", out var format) || format != "1")
            {
                throw new ModelException($"{path}: not an EmmaNet fusion model (no emmanet.fusion.format metadata)");
            }
            string Text(string key) => meta.TryGetValue("emmanet.fusion." + key, out var value) ? value
                : throw new ModelException($"{path}: damaged fusion model (no emmanet.fusion.{key} metadata); train it again");
            int Int(string key) => int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
                : throw new ModelException($"{path}: damaged fusion model (emmanet.fusion.{key} is not a number); train it again");
            Steps = Int("steps");
            FaceSize = Int("face_size");
            AudioSize = Int("audio_size");
            PoseSize = Int("pose_size");
            Variant = Text("variant");
            Classes = Text("classes").Split(',');
            Training = meta.GetValueOrDefault("emmanet.fusion.training", "unknown");
            const string prefix = "emmanet.extractor.";
            Extractors = new SortedDictionary<string, string>(meta.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value), StringComparer.Ordinal);
            Model = _onnx.Identity with { Id = "emmanet-fusion-" + Variant };
        }
        catch
        {
            _onnx.Dispose();
            throw;
        }
    }

    public ModelIdentity Model { get; }

    public int Steps { get; }

    public int FaceSize { get; }

    public int AudioSize { get; }

    public int PoseSize { get; }

    public string Variant { get; }

    public IReadOnlyList<string> Classes { get; }

    public string Training { get; }

    public IReadOnlyDictionary<string, string> Extractors { get; }

    /// <summary>The id of the DeepSpectrum CNN the model was trained on, or null when it read log-mel statistics.</summary>
    public string? AudioCnnId => Extractors.GetValueOrDefault("audio_cnn")?.Split(' ')[0];

    /// <summary>ONNX Runtime calls made so far.</summary>
    public int Calls => _calls;

    /// <summary>Windows run so far.</summary>
    public long Windows => Interlocked.Read(ref _windows);

    /// <summary>Why features from these extractors cannot go into this model, or null when they can.</summary>
    public string? Mismatch(IReadOnlyDictionary<string, string> extractors) => ExtractorIdentity.Mismatch(Extractors, extractors);

    /// <summary>One ONNX Runtime call for all the windows given.</summary>
    public FusionPrediction[] Run(IReadOnlyList<FusionWindow> windows)
    {
        var n = windows.Count;
        if (n == 0)
        {
            return [];
        }
        var t = Steps;
        // Kept between calls (a caller running at the same time makes its own): made per call, a video's windows were
        // about 40 KB each of large-object garbage, 50 MB for a minute of the many-face sample.
        var buffers = Interlocked.Exchange(ref _spare, null) ?? [[], [], [], [], []];
        Memory<float> Take(int input, int length)
        {
            if (buffers[input].Length < length)
            {
                buffers[input] = new float[length];
            }
            return buffers[input].AsMemory(0, length);
        }
        var (face, audio, pose, now, mask) = (Take(0, n * t * FaceSize), Take(1, n * t * AudioSize), Take(2, n * t * PoseSize), Take(3, n * FaceSize), Take(4, n * t * 3));
        Span<float> faceIn = face.Span, audioIn = audio.Span, poseIn = pose.Span, nowIn = now.Span, maskIn = mask.Span;
        for (var w = 0; w < n; w++)
        {
            var window = windows[w];
            if (window.Present.Length != t || window.FaceNow.Length != FaceSize || window.Audio[0].Length != AudioSize || window.Pose[0].Length != PoseSize)
            {
                throw new ArgumentException($"window {w} has {window.Present.Length} steps and sizes {window.FaceNow.Length}/{window.Audio[0].Length}/{window.Pose[0].Length}; the model wants {t} steps and {FaceSize}/{AudioSize}/{PoseSize}");
            }
            Copy(window.FaceNow, nowIn.Slice(w * FaceSize, FaceSize));
            for (var s = 0; s < t; s++)
            {
                var at = (w * t) + s;
                Copy(window.Face[s], faceIn.Slice(at * FaceSize, FaceSize));
                Copy(window.Audio[s], audioIn.Slice(at * AudioSize, AudioSize));
                Copy(window.Pose[s], poseIn.Slice(at * PoseSize, PoseSize));
                for (var m = 0; m < 3; m++)
                {
                    maskIn[(at * 3) + m] = window.Present[s][m] ? 1 : 0;
                }
            }
        }
        var memory = OrtMemoryInfo.DefaultInstance;
        using var faceValue = OrtValue.CreateTensorValueFromMemory(memory, face, [n, t, FaceSize]);
        using var audioValue = OrtValue.CreateTensorValueFromMemory(memory, audio, [n, t, AudioSize]);
        using var poseValue = OrtValue.CreateTensorValueFromMemory(memory, pose, [n, t, PoseSize]);
        using var nowValue = OrtValue.CreateTensorValueFromMemory(memory, now, [n, FaceSize]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(memory, mask, [n, t, 3]);
        using var outputs = _onnx.Run(Inputs, [faceValue, audioValue, poseValue, nowValue, maskValue], Outputs);
        _spare = buffers;
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _windows, n);
        var probs = outputs[0].GetTensorDataAsSpan<float>();
        var attention = Enumerable.Range(1, 3).Select(i => outputs[i].GetTensorDataAsSpan<float>().ToArray()).ToArray();
        var classes = Classes.Count;
        var result = new FusionPrediction[n];
        for (var w = 0; w < n; w++)
        {
            result[w] = new FusionPrediction(probs.Slice(w * classes, classes).ToArray(), attention.Select(a => a.AsSpan(w * t, t).ToArray()).ToArray());
        }
        return result;
    }

    private static void Copy(double[] source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    public void Dispose() => _onnx.Dispose();
}
