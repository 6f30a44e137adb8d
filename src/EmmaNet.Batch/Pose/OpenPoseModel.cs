using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Pose;

/// <summary>
/// A user-supplied OpenPose body model in ONNX (COCO-18 or BODY_25, told apart by channel counts): input NCHW BGR
/// scaled to x / 256 - 0.5 (OpenPose's Caffe models), the frame letterboxed into the input's size (368 x 368 when
/// the model leaves it open); outputs either one tensor of heatmaps then PAFs, or two tensors (heatmaps, PAFs).
/// People are grouped by <see cref="OpenPoseDecoder"/> and mapped back to frame pixels.
/// </summary>
public sealed class OpenPoseModel : IPoseEstimator
{
    private const int DefaultSize = 368;

    private readonly OnnxModel _onnx;
    private readonly string _input;
    private readonly int _height;
    private readonly int _width;
    private readonly BgrImage _resized = new();

    public OpenPoseModel(string path, SessionFactory sessions)
    {
        if (!File.Exists(path))
        {
            throw new ModelException($"OpenPose model {path} does not exist");
        }
        _onnx = OnnxModel.FromFile(path, "openpose:" + Path.GetFileName(path), sessions, keepOptimised: true);
        try
        {
            var input = _onnx.InputMetadata.Single();
            _input = input.Key;
            var dims = input.Value.Dimensions;
            if (dims.Length != 4 || dims[1] != 3)
            {
                throw new ModelException($"{path}: expected an OpenPose input [N,3,H,W], found [{string.Join(",", dims)}]");
            }
            (_height, _width) = (dims[2] > 0 ? dims[2] : DefaultSize, dims[3] > 0 ? dims[3] : DefaultSize);
        }
        catch
        {
            _onnx.Dispose();
            throw;
        }
    }

    public ModelIdentity Model => _onnx.Identity;

    public List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames)
    {
        var result = new List<Skeleton>[frames.Count];
        var size = Math.Max(_height, _width);
        var input = new float[3 * _height * _width];
        for (var i = 0; i < frames.Count; i++)
        {
            var box = Fill(frames[i], input, size);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, _height, _width]);
            using var outputs = _onnx.Run([_input], [value], [.. _onnx.OutputNames]);
            var (heat, paf, rows, cols, layout) = Split(outputs);
            var decoder = new OpenPoseDecoder(layout, rows, cols, (float)_height / rows);
            result[i] = decoder.Decode(heat, paf)
                .Select(p => p with { Keypoints = p.Keypoints.Select(k => k.Score <= 0 ? k : new Keypoint(box.ToFrameX(k.X / size), box.ToFrameY(k.Y / size), k.Score)).ToArray() })
                .ToList();
        }
        return result;
    }

    private static (float[] Heat, float[] Paf, int Rows, int Cols, OpenPoseLayout Layout) Split(IDisposableReadOnlyCollection<OrtValue> outputs)
    {
        var shapes = outputs.Select(o => o.GetTensorTypeAndShape().Shape).ToList();
        if (outputs.Count == 1)
        {
            var s = shapes[0];
            var layout = s[1] == OpenPoseLayout.Coco18.TotalChannels ? OpenPoseLayout.Coco18 : s[1] == OpenPoseLayout.Body25.TotalChannels ? OpenPoseLayout.Body25
                : throw new ModelException($"OpenPose output has {s[1]} channels: neither COCO-18 (57) nor BODY_25 (78)");
            var all = outputs[0].GetTensorDataAsSpan<float>();
            var plane = (int)(s[2] * s[3]);
            return (all[..(layout.HeatmapChannels * plane)].ToArray(), all[(layout.HeatmapChannels * plane)..].ToArray(), (int)s[2], (int)s[3], layout);
        }
        var (h, p) = shapes[0][1] < shapes[1][1] ? (0, 1) : (1, 0);
        var chosen = OpenPoseLayout.ForChannels((int)shapes[h][1], (int)shapes[p][1]);
        return (outputs[h].GetTensorDataAsSpan<float>().ToArray(), outputs[p].GetTensorDataAsSpan<float>().ToArray(), (int)shapes[h][2], (int)shapes[h][3], chosen);
    }

    /// <summary>Letterboxes the frame, centred, into the square input as planar BGR x / 256 - 0.5.</summary>
    private Letterbox Fill(VideoFrame frame, float[] input, int size)
    {
        var box = Letterbox.ResizeInto(frame.View, size, _resized);
        Array.Fill(input, -0.5f);
        var plane = _height * _width;
        for (var y = 0; y < box.ScaledHeight && y + box.PadY < _height; y++)
        {
            var row = _resized.Row(y);
            for (var x = 0; x < box.ScaledWidth && x + box.PadX < _width; x++)
            {
                var at = ((y + box.PadY) * _width) + x + box.PadX;
                for (var c = 0; c < 3; c++)
                {
                    input[(c * plane) + at] = (row[(x * 3) + c] / 256f) - 0.5f;
                }
            }
        }
        return box;
    }

    public void Dispose() => _onnx.Dispose();
}
