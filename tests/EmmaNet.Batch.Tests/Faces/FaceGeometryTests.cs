using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Tests.Faces;

public sealed class FaceGeometryTests
{
    [Fact]
    public void Anchors_follow_the_blazeface_layout()
    {
        var anchors = BlazeFaceAnchors.Create();
        Assert.Equal(896 * 2, anchors.Length);
        // First: cell (0,0) of the 16x16 grid, twice.
        Assert.Equal([0.5f / 16, 0.5f / 16, 0.5f / 16, 0.5f / 16], anchors[..4]);
        // Third anchor is cell (1,0): x moves first.
        Assert.Equal(1.5f / 16, anchors[4]);
        Assert.Equal(0.5f / 16, anchors[5]);
        // The 8x8 grid starts at anchor 512 with 6 per cell; the last is cell (7,7).
        Assert.Equal(0.5f / 8, anchors[512 * 2]);
        Assert.Equal(7.5f / 8, anchors[^2]);
        Assert.Equal(7.5f / 8, anchors[^1]);
    }

    [Theory]
    [InlineData(1280, 720)]
    [InlineData(720, 1280)]
    [InlineData(1, 1)]
    [InlineData(4000, 3000)]
    public void Letterbox_maps_the_input_square_back_to_the_frame(int width, int height)
    {
        var box = Letterbox.For(width, height, 256);
        // The scaled picture's corners in normalised input coordinates map to the frame's corners.
        var left = (float)box.PadX / 256;
        var right = (float)(box.PadX + box.ScaledWidth) / 256;
        var top = (float)box.PadY / 256;
        var bottom = (float)(box.PadY + box.ScaledHeight) / 256;
        Assert.Equal(0, box.ToFrameX(left), 3);
        Assert.Equal(width, box.ToFrameX(right), 2);
        Assert.Equal(0, box.ToFrameY(top), 3);
        Assert.Equal(height, box.ToFrameY(bottom), 2);
        Assert.True(box.ScaledWidth == 256 || box.ScaledHeight == 256);
    }

    private static FaceDetection Face(float x1, float y1, float x2, float y2, float score, float kp = 0) =>
        new(x1, y1, x2, y2, score, Enumerable.Repeat(kp, 12).ToArray());

    [Fact]
    public void Weighted_nms_merges_overlaps_by_score_and_keeps_separate_faces()
    {
        var merged = WeightedNms.Apply(
        [
            Face(0, 0, 10, 10, 0.9f, kp: 1),
            Face(1, 1, 11, 11, 0.6f, kp: 2), // IoU with the first: 81 / 119 = 0.68
            Face(50, 50, 60, 60, 0.7f, kp: 5),
        ], iouThreshold: 0.3f);

        Assert.Equal(2, merged.Count);
        var a = merged[0];
        Assert.Equal(0.9f, a.Score);
        Assert.Equal((0 * 0.9f + 1 * 0.6f) / 1.5f, a.X1, 5);
        Assert.Equal((10 * 0.9f + 11 * 0.6f) / 1.5f, a.X2, 5);
        Assert.Equal((1 * 0.9f + 2 * 0.6f) / 1.5f, a.Keypoints[0], 5);
        Assert.Equal(50, merged[1].X1);
        Assert.Equal(0.7f, merged[1].Score);
    }

    [Fact]
    public void Weighted_nms_keeps_boxes_whose_overlap_is_at_the_threshold_or_below()
    {
        // IoU = 25 / 175 = 0.14 < 0.3.
        var kept = WeightedNms.Apply([Face(0, 0, 10, 10, 0.9f), Face(5, 5, 15, 15, 0.8f)], 0.3f);
        Assert.Equal(2, kept.Count);
    }
}
