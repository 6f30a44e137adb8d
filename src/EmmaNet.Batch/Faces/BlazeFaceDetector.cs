using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// BlazeFace through ONNX Runtime (FORMATS.md section 5). Each frame is letterboxed into the square NHWC RGB input
/// scaled to [-1, 1]; the 896 anchors are decoded, scored with a sigmoid, merged by weighted NMS and mapped back to
/// frame pixels. With a symbolic batch dimension, up to <see cref="BlazeFaceOptions.FramesPerCall"/> frames go in one
/// call; a model with a fixed batch of 1 is called per frame behind the same API.
/// </summary>
public sealed class BlazeFaceDetector : IFaceDetector
{
    private const int Regressors = 16;
    private static readonly float[] Anchors = BlazeFaceAnchors.Create();
    private static readonly int AnchorCount = Anchors.Length / 2;

    private readonly InferenceSession _session;
    private readonly BlazeFaceOptions _options;
    private readonly string _inputName;
    private readonly string[] _scoreOutputs;
    private readonly string[] _boxOutputs;
    private readonly int _size;
    private readonly int _framesPerCall;
    private float[] _input = [];
    private readonly Mat _resized = new();

    public BlazeFaceDetector(ModelStore models, SessionFactory sessions, BlazeFaceOptions? options = null)
    {
        _options = options ?? new BlazeFaceOptions();
        var path = models.Resolve(_options.ModelId);
        (_session, var provider) = sessions.Create(path);
        try
        {
            var input = _session.InputMetadata.Single();
            _inputName = input.Key;
            var dims = input.Value.Dimensions;
            if (dims.Length != 4 || dims[3] != 3 || dims[1] != dims[2] || dims[1] <= 0)
            {
                throw new ModelException($"{path}: expected a BlazeFace input [N,S,S,3], found [{string.Join(",", dims)}]");
            }
            _size = dims[1];
            _framesPerCall = dims[0] > 0 ? 1
                : _options.FramesPerCall > 0 ? _options.FramesPerCall
                : SessionFactory.DefaultImagesPerCall(provider);
            var outputs = _session.OutputMetadata.ToList();
            _scoreOutputs = OutputsWithLastDim(outputs, 1, path);
            _boxOutputs = OutputsWithLastDim(outputs, Regressors, path);
            Model = new ModelIdentity(_options.ModelId, Path.GetFileName(path), models.Manifest.Get(_options.ModelId).Sha256, provider);
        }
        catch
        {
            _session.Dispose();
            _resized.Dispose();
            throw;
        }
    }

    public ModelIdentity Model { get; }

    public int InputSize => _size;

    public IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames)
    {
        var results = new IReadOnlyList<FaceDetection>[frames.Count];
        var step = _framesPerCall;
        for (var start = 0; start < frames.Count; start += step)
        {
            var count = Math.Min(step, frames.Count - start);
            var perImage = _size * _size * 3;
            if (_input.Length < count * perImage)
            {
                _input = new float[count * perImage];
            }
            var boxes = new Letterbox[count];
            for (var i = 0; i < count; i++)
            {
                boxes[i] = Letterbox.FillRgb(frames[start + i], _size, _input.AsSpan(i * perImage, perImage), _resized);
            }
            RunAndDecode(count, boxes, results.AsSpan(start, count));
        }
        return results;
    }

    private void RunAndDecode(int count, Letterbox[] boxes, Span<IReadOnlyList<FaceDetection>> results)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * _size * _size * 3), [count, _size, _size, 3]);
        var names = _scoreOutputs.Concat(_boxOutputs).ToArray();
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_inputName], [input], names);
        var layers = _scoreOutputs.Length;
        for (var image = 0; image < count; image++)
        {
            var candidates = new List<FaceDetection>();
            var anchorBase = 0;
            for (var layer = 0; layer < layers; layer++)
            {
                var scores = outputs[layer].GetTensorDataAsSpan<float>();
                var regress = outputs[layers + layer].GetTensorDataAsSpan<float>();
                var anchorsInLayer = scores.Length / count;
                DecodeLayer(scores.Slice(image * anchorsInLayer, anchorsInLayer), regress.Slice(image * anchorsInLayer * Regressors, anchorsInLayer * Regressors), anchorBase, boxes[image], candidates);
                anchorBase += anchorsInLayer;
            }
            if (anchorBase != AnchorCount)
            {
                throw new ModelException($"{Model.FileName}: outputs cover {anchorBase} anchors, expected {AnchorCount}");
            }
            results[image] = WeightedNms.Apply(candidates, _options.IouThreshold)
                .Where(f => f.Width >= _options.MinFaceSide)
                .ToList();
        }
    }

    private void DecodeLayer(ReadOnlySpan<float> scores, ReadOnlySpan<float> regress, int anchorBase, Letterbox box, List<FaceDetection> candidates)
    {
        float size = _size;
        for (var i = 0; i < scores.Length; i++)
        {
            var score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
            if (score < _options.ScoreThreshold)
            {
                continue;
            }
            var ax = Anchors[(anchorBase + i) * 2];
            var ay = Anchors[(anchorBase + i) * 2 + 1];
            var r = regress.Slice(i * Regressors, Regressors);
            var cx = r[0] / size + ax;
            var cy = r[1] / size + ay;
            var w = r[2] / size;
            var h = r[3] / size;
            var keypoints = new float[FaceDetection.KeypointCount * 2];
            for (var k = 0; k < FaceDetection.KeypointCount; k++)
            {
                keypoints[k * 2] = Clamp(box.ToFrameX(r[4 + k * 2] / size + ax), box.FrameWidth);
                keypoints[k * 2 + 1] = Clamp(box.ToFrameY(r[5 + k * 2] / size + ay), box.FrameHeight);
            }
            candidates.Add(new FaceDetection(
                Clamp(box.ToFrameX(cx - w / 2), box.FrameWidth),
                Clamp(box.ToFrameY(cy - h / 2), box.FrameHeight),
                Clamp(box.ToFrameX(cx + w / 2), box.FrameWidth),
                Clamp(box.ToFrameY(cy + h / 2), box.FrameHeight),
                score,
                keypoints));
        }
    }

    private static float Clamp(float value, int limit) => Math.Clamp(value, 0, limit);

    private static string[] OutputsWithLastDim(List<KeyValuePair<string, NodeMetadata>> outputs, int lastDim, string path)
    {
        var names = outputs.Where(o => o.Value.Dimensions.Length == 3 && o.Value.Dimensions[2] == lastDim)
            .OrderByDescending(o => o.Value.Dimensions[1]) // the 16x16 layer (512 anchors) first, as the anchors are ordered
            .Select(o => o.Key).ToArray();
        if (names.Length != BlazeFaceAnchors.Layers.Length)
        {
            throw new ModelException($"{path}: expected {BlazeFaceAnchors.Layers.Length} outputs of shape [N,A,{lastDim}], found {names.Length}");
        }
        return names;
    }

    public void Dispose()
    {
        _session.Dispose();
        _resized.Dispose();
    }
}
