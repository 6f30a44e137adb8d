using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Tests.Faces;

public sealed class FaceGeometryTests
{
    [Fact]
    public void Anchors_follow_the_blazeface_layout()
    {
        var anchors = BlazeFaceAnchors.Create(256, 256, 256);
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

    [Fact]
    public void Anchors_of_a_wide_input_keep_the_cell_size()
    {
        // 256x160 (a 16:9 frame fitted for the back model): 16x10 cells of 16 px with 2 anchors, 8x5 of 32 px with 6.
        var anchors = BlazeFaceAnchors.Create(256, 160, 256);
        Assert.Equal(((16 * 10 * 2) + (8 * 5 * 6)) * 2, anchors.Length);
        Assert.Equal([0.5f / 16, 0.5f / 10], anchors[..2]);
        Assert.Equal([15.5f / 16, 9.5f / 10], anchors[(((16 * 10 * 2) - 1) * 2)..(16 * 10 * 2 * 2)]);
        Assert.Equal([7.5f / 8, 4.5f / 5], anchors[^2..]);
        Assert.Equal(32, BlazeFaceAnchors.CoarsestStride(256));
    }

    [Theory]
    [InlineData(1280, 720, 256, 32, 0, 256, 192)]
    [InlineData(720, 1280, 256, 32, 0, 192, 256)]
    [InlineData(768, 576, 256, 32, 0, 256, 192)]
    [InlineData(1280, 720, 385, 16, 1, 385, 225)]
    [InlineData(4000, 100, 256, 32, 0, 256, 64)]
    [InlineData(1, 1, 256, 32, 0, 256, 256)]
    public void Fitted_inputs_hold_the_scaled_frame_in_the_smallest_allowed_size(int width, int height, int longSide, int multiple, int plus, int inputWidth, int inputHeight)
    {
        var box = Letterbox.Fitted(width, height, longSide, multiple, plus);
        Assert.Equal((inputWidth, inputHeight), (box.InputWidth, box.InputHeight));
        Assert.True(box.ScaledWidth <= box.InputWidth && box.ScaledHeight <= box.InputHeight);
        Assert.Equal(0, box.ToFrameX((float)box.PadX / box.InputWidth), 2);
        Assert.Equal(width, box.ToFrameX((float)(box.PadX + box.ScaledWidth) / box.InputWidth), 1);
        Assert.Equal(height, box.ToFrameY((float)(box.PadY + box.ScaledHeight) / box.InputHeight), 1);
    }

    [Fact]
    public void Calls_group_frames_by_input_size_keep_their_order_and_hold_at_most_the_limit()
    {
        var wide = Letterbox.Fitted(1280, 720, 256, 32);
        var portrait = Letterbox.Fitted(720, 1280, 256, 32);
        Letterbox[] boxes = [wide, portrait, wide, wide, portrait, wide];
        var calls = Letterbox.Calls(boxes, perCall: 2).ToList();
        Assert.Equal([[0, 2], [3, 5], [1, 4]], calls);
        Assert.Equal([[0], [1], [2], [3], [4], [5]], Letterbox.Calls(boxes, perCall: 1).OrderBy(c => c[0]).ToList());
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
