using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Tests.Support;
using Xunit.Abstractions;

namespace EmmaNet.Batch.Tests.Imaging;

/// <summary>
/// The managed image operations held to OpenCV's on real frames of the three samples: every resize within one grey
/// level of OpenCV's on every pixel, the face warp within two (OpenCV's fixed-point weights against our floats;
/// docs/benchmarks.md has the figures).
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class ManagedImageOpsTests(ModelFixture models, ITestOutputHelper output)
{
    private static readonly ImageOps Managed = new ManagedImageOps();
    private static readonly ImageOps OpenCv = OpenCvReference();

    private static ImageOps OpenCvReference()
    {
        ImageOps.Use(ImageBackend.OpenCv);
        var opencv = ImageOps.Current;
        ImageOps.Use(ImageBackend.Auto);
        return opencv;
    }

    private static async Task<List<VideoFrame>> FramesAsync(string video, int take)
    {
        var media = await MediaProber.ProbeAsync(video, CancellationToken.None);
        var frames = new List<VideoFrame>();
        await foreach (var frame in new VideoFrameReader(media, new FrameSampling(1)).ReadAsync())
        {
            if (frames.Count < take)
            {
                frames.Add(frame);
            }
            else
            {
                frame.Dispose();
            }
        }
        return frames;
    }

    /// <summary>Largest difference and the share of values that differ at all.</summary>
    private static (int Max, double Differing) Compare(BgrImage a, BgrImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        var (max, differing) = (0, 0);
        for (var i = 0; i < a.Pixels.Length; i++)
        {
            var d = Math.Abs(a.Pixels[i] - b.Pixels[i]);
            max = Math.Max(max, d);
            differing += d > 0 ? 1 : 0;
        }
        return (max, (double)differing / a.Pixels.Length);
    }

    public static TheoryData<string> Videos => new() { TestPaths.FacesVideo, TestPaths.Megamind, TestPaths.VTest };

    [Theory]
    [MemberData(nameof(Videos))]
    public async Task Area_and_linear_resizes_match_opencv_within_one_level(string video)
    {
        var frames = await FramesAsync(video, 3);
        try
        {
            foreach (var frame in frames)
            {
                // Shrinking as the detector (256) and pose (385) letterboxes do, an odd ratio, enlarging, and linear.
                var sizes = new[] { Letterbox.For(frame.Width, frame.Height, 256), Letterbox.For(frame.Width, frame.Height, 385) }
                    .Select(b => (b.ScaledWidth, b.ScaledHeight)).Append((frame.Width / 3 + 1, frame.Height / 7 + 2)).ToList();
                foreach (var (w, h) in sizes)
                {
                    var (m, o) = (new BgrImage(), new BgrImage());
                    Managed.ResizeArea(frame.View, m, w, h);
                    OpenCv.ResizeArea(frame.View, o, w, h);
                    var (max, share) = Compare(m, o);
                    output.WriteLine($"{Path.GetFileName(video)} area {frame.Width}x{frame.Height} -> {w}x{h}: max {max}, differing {share:P3}");
                    Assert.True(max <= 1, $"area resize to {w}x{h}: a value differs by {max}");
                }
                var small = new BgrImage();
                OpenCv.ResizeArea(frame.View, small, 96, 54);
                foreach (var (name, op) in new (string, Action<ImageOps, BgrImage>)[]
                {
                    ("area up", (ops, d) => ops.ResizeArea(small, d, 256, 144)),
                    ("linear down", (ops, d) => ops.ResizeLinear(frame.View, d, 224, 224)),
                    ("linear up", (ops, d) => ops.ResizeLinear(small, d, 227, 131)),
                })
                {
                    var (m, o) = (new BgrImage(), new BgrImage());
                    op(Managed, m);
                    op(OpenCv, o);
                    var (max, share) = Compare(m, o);
                    output.WriteLine($"{Path.GetFileName(video)} {name}: max {max}, differing {share:P3}");
                    Assert.True(max <= 1, $"{name}: a value differs by {max}");
                }
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(Videos))]
    public async Task Face_warps_match_opencv_within_two_levels(string video)
    {
        var frames = await FramesAsync(video, 3);
        try
        {
            foreach (var frame in frames)
            {
                // Real detections where there are faces; boxes tilted by hand everywhere, some across the frame's edge.
                var faces = models.Detector.Detect([frame])[0].ToList();
                var (w, h) = (frame.Width, frame.Height);
                foreach (var (x, y, s, tilt) in new[] { (0.3f, 0.3f, 0.2f, 10f), (0.5f, 0.4f, 0.1f, -25f), (0.95f, 0.05f, 0.15f, 40f) })
                {
                    var (x1, y1, side) = (x * w, y * h, s * h);
                    var (dx, dy) = (side * 0.3f * MathF.Cos(tilt * MathF.PI / 180), side * 0.3f * MathF.Sin(tilt * MathF.PI / 180));
                    var (cx, cy) = (x1 + (side / 2), y1 + (side / 3));
                    faces.Add(new FaceDetection(x1, y1, x1 + side, y1 + side, 0.9f, [cx - dx, cy - dy, cx + dx, cy + dy, cx, cy + (side / 4), cx, cy + (side / 2), x1, cy, x1 + side, cy]));
                }
                foreach (var face in faces)
                {
                    var aligner = new FaceAligner();
                    ImageOps.Use(ImageBackend.Managed);
                    var m = aligner.Crop(frame.View, face);
                    ImageOps.Use(ImageBackend.OpenCv);
                    var o = aligner.Crop(frame.View, face);
                    ImageOps.Use(ImageBackend.Auto);
                    var (max, share) = Compare(m, o);
                    output.WriteLine($"{Path.GetFileName(video)} warp at ({face.X1:F0}, {face.Y1:F0}): max {max}, differing {share:P3}");
                    Assert.True(max <= 2, $"warp of the face at ({face.X1}, {face.Y1}): a value differs by {max}");
                }
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
    }
}
