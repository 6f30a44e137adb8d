using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pose;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using DataType = EmmaNet.Batch.Onnx.Proto.TensorProto.Types.DataType;

namespace EmmaNet.Batch.Tests.Pose;

/// <summary>OpenPose grouping on synthetic heatmaps and PAFs with known people.</summary>
public sealed class OpenPoseTests
{
    private const int Rows = 46;
    private const int Cols = 46;

    /// <summary>Maps for the given people (part -> (row, col)): a peak per part, unit PAF vectors along each limb.</summary>
    internal static (float[] Heat, float[] Paf) Maps(OpenPoseLayout layout, params Dictionary<int, (int R, int C)>[] people)
    {
        var plane = Rows * Cols;
        var heat = new float[layout.HeatmapChannels * plane];
        var paf = new float[layout.PafChannelCount * plane];
        foreach (var person in people)
        {
            foreach (var (part, (r, c)) in person)
            {
                heat[(part * plane) + (r * Cols) + c] = 0.9f;
                foreach (var (dr, dc) in new[] { (-1, 0), (1, 0), (0, -1), (0, 1) })
                {
                    heat[(part * plane) + ((r + dr) * Cols) + c + dc] = 0.4f;
                }
            }
            for (var limb = 0; limb < layout.Limbs.Length; limb++)
            {
                var (a, b) = layout.Limbs[limb];
                if (!person.TryGetValue(a, out var pa) || !person.TryGetValue(b, out var pb))
                {
                    continue;
                }
                var (dy, dx) = ((float)(pb.R - pa.R), (float)(pb.C - pa.C));
                var norm = MathF.Sqrt((dx * dx) + (dy * dy));
                var (px, py) = layout.PafChannels[limb];
                for (var i = 0; i <= 20; i++)
                {
                    var r = (int)MathF.Round(pa.R + (dy * i / 20));
                    var c = (int)MathF.Round(pa.C + (dx * i / 20));
                    paf[(px * plane) + (r * Cols) + c] = dx / norm;
                    paf[(py * plane) + (r * Cols) + c] = dy / norm;
                }
            }
        }
        return (heat, paf);
    }

    /// <summary>A standing person for COCO-18 part numbers, its head at (row, col).</summary>
    internal static Dictionary<int, (int, int)> Coco18Person(int row, int col) => new()
    {
        [0] = (row, col), [1] = (row + 4, col), [2] = (row + 4, col - 3), [3] = (row + 8, col - 4), [4] = (row + 12, col - 4),
        [5] = (row + 4, col + 3), [6] = (row + 8, col + 4), [7] = (row + 12, col + 4), [8] = (row + 13, col - 2), [9] = (row + 18, col - 2),
        [10] = (row + 23, col - 2), [11] = (row + 13, col + 2), [12] = (row + 18, col + 2), [13] = (row + 23, col + 2),
        [14] = (row - 1, col - 1), [15] = (row - 1, col + 1), [16] = (row, col - 2), [17] = (row, col + 2),
    };

    [Fact]
    public void Two_people_and_a_stray_part_give_two_complete_skeletons()
    {
        var layout = OpenPoseLayout.Coco18;
        var stray = new Dictionary<int, (int R, int C)> { [4] = (40, 40) };
        var (heat, paf) = Maps(layout, Coco18Person(5, 10), Coco18Person(8, 32), stray);
        var people = new OpenPoseDecoder(layout, Rows, Cols, scale: 8).Decode(heat, paf);

        Assert.Equal(2, people.Count);
        var left = people.MinBy(p => p.Keypoints[0].X)!;
        var right = people.MaxBy(p => p.Keypoints[0].X)!;
        // COCO-17 order: nose, left eye, right eye, ..., right ankle; positions are cells times the scale.
        Assert.Equal((10 * 8f, 5 * 8f), (left.Keypoints[0].X, left.Keypoints[0].Y));
        Assert.Equal((11 * 8f, 4 * 8f), (left.Keypoints[CocoKeypoints.LeftEye].X, left.Keypoints[CocoKeypoints.LeftEye].Y)); // part 15 at (row - 1, col + 1)
        Assert.Equal((30 * 8f, 31 * 8f), (right.Keypoints[16].X, right.Keypoints[16].Y)); // right ankle: part 10 at (31, 30)
        Assert.All(people, p => Assert.All(p.Keypoints, k => Assert.Equal(0.9f, k.Score)));
    }

    [Fact]
    public void Body25_maps_decode_and_map_to_the_coco_keypoints()
    {
        var layout = OpenPoseLayout.Body25;
        // BODY_25: 8 is MidHip, 9-11 right leg, 12-14 left leg, 15-18 eyes and ears, 19-24 feet.
        var person = new Dictionary<int, (int R, int C)>
        {
            [0] = (6, 20), [1] = (10, 20), [2] = (10, 17), [3] = (14, 16), [4] = (18, 16), [5] = (10, 23), [6] = (14, 24), [7] = (18, 24),
            [8] = (19, 20), [9] = (19, 18), [10] = (25, 18), [11] = (31, 18), [12] = (19, 22), [13] = (25, 22), [14] = (31, 22),
            [15] = (5, 19), [16] = (5, 21), [17] = (6, 18), [18] = (6, 22), [19] = (33, 23), [20] = (33, 24), [21] = (32, 22),
            [22] = (33, 17), [23] = (33, 16), [24] = (32, 18),
        };
        var (heat, paf) = Maps(layout, person);
        var skeleton = Assert.Single(new OpenPoseDecoder(layout, Rows, Cols, scale: 1).Decode(heat, paf));
        Assert.Equal((22f, 19f), (skeleton.Keypoints[CocoKeypoints.LeftHip].X, skeleton.Keypoints[CocoKeypoints.LeftHip].Y));
        Assert.Equal((18f, 31f), (skeleton.Keypoints[16].X, skeleton.Keypoints[16].Y)); // right ankle: part 11
    }

    [Fact]
    public void A_limb_whose_field_points_elsewhere_is_not_connected()
    {
        var layout = OpenPoseLayout.Coco18;
        var (heat, paf) = Maps(layout, Coco18Person(5, 10));
        // Reverse the neck -> right hip field (limb 6): the hip and the leg below it can no longer join the body.
        var (px, py) = layout.PafChannels[6];
        for (var i = 0; i < Rows * Cols; i++)
        {
            paf[(px * Rows * Cols) + i] = -paf[(px * Rows * Cols) + i];
            paf[(py * Rows * Cols) + i] = -paf[(py * Rows * Cols) + i];
        }
        var people = new OpenPoseDecoder(layout, Rows, Cols, 1).Decode(heat, paf);
        var body = people.MaxBy(p => p.Keypoints.Count(k => k.Score > 0))!;
        Assert.Equal(0, body.Keypoints[CocoKeypoints.RightHip].Score);
    }

    [Theory]
    [InlineData("COCO-18", 38)]
    [InlineData("BODY_25", 52)]
    public void Every_paf_channel_belongs_to_exactly_one_limb(string name, int channels)
    {
        var layout = name == "COCO-18" ? OpenPoseLayout.Coco18 : OpenPoseLayout.Body25;
        Assert.Equal(channels, layout.PafChannelCount);
        Assert.Equal(Enumerable.Range(0, channels), layout.PafChannels.SelectMany(p => new[] { p.X, p.Y }).Order());
        Assert.Equal(17, layout.ToCoco17.Distinct().Count());
    }

    [Fact]
    public void A_user_supplied_openpose_onnx_is_run_and_its_people_mapped_to_frame_pixels()
    {
        // A stand-in OpenPose network built with the project's ONNX builder: whatever the image, it outputs
        // [N, 57, 46, 46] maps holding one known person (0 * mean(image) + constant maps).
        var layout = OpenPoseLayout.Coco18;
        var (heat, paf) = Maps(layout, Coco18Person(10, 23));
        var maps = heat.Concat(paf).ToArray();
        var b = new OnnxGraphBuilder("openpose-standin");
        var image = b.AddInput("image", DataType.Float, "N", 3, 368, 368);
        var mean = b.Node("ReduceMean", [image], new Dictionary<string, object> { ["axes"] = new long[] { 1, 2, 3 }, ["keepdims"] = 1L });
        var zero = b.Node("Mul", [mean, b.Float("zero", [0f])]);
        b.Node("Add", [zero, b.Float("maps", maps, 1, 57, Rows, Cols)], output: "net_output");
        b.AddOutput("net_output", DataType.Float, "N", 57, Rows, Cols);
        using var temp = new TempFolder();
        var path = temp.File("openpose.onnx");
        OnnxModelFile.Save(b.Build(), path);

        using var model = new OpenPoseModel(path, new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance));
        // A 736 x 368 frame letterboxes into 368 x 368 at scale 0.5 with 92 pixels of padding above and below.
        using var frame = VideoFrame.FromPixels(new byte[736 * 368 * 3], 736, 368, 0, 0);
        var person = Assert.Single(Assert.Single(model.Detect([frame])));
        var stride = 368f / Rows;
        Assert.Equal(23 * stride * 2, person.Keypoints[0].X, 2);
        Assert.Equal(((10 * stride) - 92) * 2, person.Keypoints[0].Y, 2);
        Assert.StartsWith("openpose:", model.Model.Id, StringComparison.Ordinal);
    }
}
