using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// BlazeFace through ONNX Runtime (FORMATS.md section 5). Each frame is letterboxed into the NHWC RGB input scaled
/// to [-1, 1]: fitted to the frame (256x192 for 16:9, <see cref="Letterbox.Fitted"/>) when the model's size is symbolic and
/// <see cref="BlazeFaceOptions.FitToFrame"/> holds, else the nominal square. The anchors of that input size are
/// decoded, scored with a sigmoid, merged by weighted NMS and mapped back to frame pixels. With a symbolic batch
/// dimension, up to <see cref="BlazeFaceOptions.FramesPerCall"/> frames of one input size go in one call; a model with
/// a fixed batch of 1 is called per frame behind the same API.
/// </summary>
public sealed class BlazeFaceDetector : IFaceDetector
{
    private const int Regressors = 16;

    private readonly OnnxModel _onnx;
    private readonly BlazeFaceOptions _options;
    private readonly string _inputName;
    private readonly string[] _scoreOutputs;
    private readonly string[] _boxOutputs;
    private readonly string[] _outputNames;
    private readonly int _size;
    private readonly int _framesPerCall;
    private readonly bool _fitToFrame;
    private readonly Dictionary<(int Width, int Height), float[]> _anchors = [];
    private float[] _input = [];
    private readonly BgrImage _resized = new();

    public BlazeFaceDetector(ModelStore models, SessionFactory sessions, BlazeFaceOptions? options = null)
    {
        _options = options ?? new BlazeFaceOptions();
        _onnx = OnnxModel.FromStore(models, _options.ModelId, sessions);
        var path = _onnx.Path;
        try
        {
            var input = _onnx.InputMetadata.Single();
            _inputName = input.Key;
            var dims = input.Value.Dimensions;
            var nominal = ImageSize.Nominal(_onnx.CustomMetadata) ?? (dims[1], dims[2]);
            if (dims.Length != 4 || dims[3] != 3 || nominal.Height != nominal.Width || nominal.Height <= 0)
            {
                throw new ModelException($"{path}: expected a BlazeFace input [N,S,S,3] or [N,H,W,3] of a square nominal size, found [{string.Join(",", dims)}]");
            }
            _size = nominal.Height;
            _fitToFrame = dims[1] < 0 && dims[2] < 0 && _options.FitToFrame;
            _framesPerCall = dims[0] > 0 ? 1
                : _options.FramesPerCall > 0 ? _options.FramesPerCall
                : SessionFactory.DefaultImagesPerCall(_onnx.Identity.ExecutionProvider);
            var outputs = _onnx.OutputMetadata.ToList();
            _scoreOutputs = OutputsWithLastDim(outputs, 1, path);
            _boxOutputs = OutputsWithLastDim(outputs, Regressors, path);
            _outputNames = [.. _scoreOutputs, .. _boxOutputs];
        }
        catch
        {
            _onnx.Dispose();
            throw;
        }
    }

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>The nominal (square) input size: 256 for the back model, 128 for the front one.</summary>
    public int InputSize => _size;

    /// <summary>The input a frame of this size is letterboxed into.</summary>
    public Letterbox InputFor(int frameWidth, int frameHeight) => _fitToFrame
        ? Letterbox.Fitted(frameWidth, frameHeight, _size, BlazeFaceAnchors.CoarsestStride(_size))
        : Letterbox.For(frameWidth, frameHeight, _size);

    public IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames)
    {
        var results = new IReadOnlyList<FaceDetection>[frames.Count];
        var boxes = frames.Select(f => InputFor(f.Width, f.Height)).ToArray();
        foreach (var call in Letterbox.Calls(boxes, _framesPerCall))
        {
            var perImage = boxes[call[0]].InputWidth * boxes[call[0]].InputHeight * 3;
            if (_input.Length < call.Length * perImage)
            {
                _input = new float[call.Length * perImage];
            }
            for (var i = 0; i < call.Length; i++)
            {
                Letterbox.FillRgb(frames[call[i]].View, boxes[call[i]], _input.AsSpan(i * perImage, perImage), _resized);
            }
            var found = RunAndDecode(call.Select(i => boxes[i]).ToArray());
            for (var i = 0; i < call.Length; i++)
            {
                results[call[i]] = found[i];
            }
        }
        return results;
    }

    /// <summary>One call on the frames filled into the input buffer (all of one input size), decoded per frame.</summary>
    private IReadOnlyList<FaceDetection>[] RunAndDecode(Letterbox[] boxes)
    {
        var count = boxes.Length;
        var results = new IReadOnlyList<FaceDetection>[count];
        var (width, height) = (boxes[0].InputWidth, boxes[0].InputHeight);
        if (!_anchors.TryGetValue((width, height), out var anchors))
        {
            _anchors[(width, height)] = anchors = BlazeFaceAnchors.Create(width, height, _size);
        }
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * width * height * 3), [count, height, width, 3]);
        using var outputs = _onnx.Run([_inputName], [input], _outputNames);
        var layers = _scoreOutputs.Length;
        // Scores and boxes each ordered finer grid (more anchors) first, as the anchors are.
        var anchorCounts = outputs.Select(o => o.GetTensorTypeAndShape().Shape[1]).ToArray();
        var scoreLayers = Enumerable.Range(0, layers).OrderByDescending(o => anchorCounts[o]).ToArray();
        var boxLayers = Enumerable.Range(layers, layers).OrderByDescending(o => anchorCounts[o]).ToArray();
        if (scoreLayers.Sum(o => anchorCounts[o]) * 2 != anchors.Length || !scoreLayers.Select(o => anchorCounts[o]).SequenceEqual(boxLayers.Select(o => anchorCounts[o])))
        {
            throw new ModelException($"{Model.FileName}: outputs cover [{string.Join(", ", anchorCounts)}] anchors for a {width}x{height} input, expected {anchors.Length / 2} in scores and boxes");
        }
        for (var image = 0; image < count; image++)
        {
            var candidates = new List<FaceDetection>();
            var anchorBase = 0;
            for (var layer = 0; layer < layers; layer++)
            {
                var scores = outputs[scoreLayers[layer]].GetTensorDataAsSpan<float>();
                var regress = outputs[boxLayers[layer]].GetTensorDataAsSpan<float>();
                var anchorsInLayer = scores.Length / count;
                DecodeLayer(scores.Slice(image * anchorsInLayer, anchorsInLayer), regress.Slice(image * anchorsInLayer * Regressors, anchorsInLayer * Regressors), anchors, anchorBase, boxes[image], candidates);
                anchorBase += anchorsInLayer;
            }
            results[image] = WeightedNms.Apply(candidates, _options.IouThreshold)
                .Where(f => f.Width >= _options.MinFaceSide)
                .ToList();
        }
        return results;
    }

    private void DecodeLayer(ReadOnlySpan<float> scores, ReadOnlySpan<float> regress, float[] anchors, int anchorBase, Letterbox box, List<FaceDetection> candidates)
    {
        // Regressions are in input pixels, relative to the anchor centre.
        float width = box.InputWidth;
        float height = box.InputHeight;
        for (var i = 0; i < scores.Length; i++)
        {
            var score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
            if (score < _options.ScoreThreshold)
            {
                continue;
            }
            var ax = anchors[(anchorBase + i) * 2];
            var ay = anchors[(anchorBase + i) * 2 + 1];
            var r = regress.Slice(i * Regressors, Regressors);
            var cx = r[0] / width + ax;
            var cy = r[1] / height + ay;
            var w = r[2] / width;
            var h = r[3] / height;
            var keypoints = new float[FaceDetection.KeypointCount * 2];
            for (var k = 0; k < FaceDetection.KeypointCount; k++)
            {
                keypoints[k * 2] = Clamp(box.ToFrameX(r[4 + k * 2] / width + ax), box.FrameWidth);
                keypoints[k * 2 + 1] = Clamp(box.ToFrameY(r[5 + k * 2] / height + ay), box.FrameHeight);
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
        // In the model's order; RunAndDecode orders the layers by their anchor counts, which may be symbolic here.
        var names = outputs.Where(o => o.Value.Dimensions.Length == 3 && o.Value.Dimensions[2] == lastDim)
            .Select(o => o.Key).ToArray();
        if (names.Length != BlazeFaceAnchors.Layers.Length)
        {
            throw new ModelException($"{path}: expected {BlazeFaceAnchors.Layers.Length} outputs of shape [N,A,{lastDim}], found {names.Length}");
        }
        return names;
    }

    public void Dispose() => _onnx.Dispose();
}
