using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>The BlazeFace file with its batch made symbolic, against single runs and against the npm original.</summary>
[Collection(ModelsCollection.Name)]
public sealed class BlazeFaceBatchTests(ModelFixture models)
{
    private static float[] RealInputs(int count)
    {
        // Eight real 256x256 RGB inputs in [-1, 1], cut from the face sample's photos.
        var media = MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None).GetAwaiter().GetResult();
        var input = new float[count * 256 * 256 * 3];
        var i = 0;
        foreach (var frame in new VideoFrameReader(media, new FrameSampling(0.5)).ReadAsync().ToBlockingEnumerable())
        {
            using (frame)
            {
                if (i < count)
                {
                    var pixels = frame.Pixels;
                    for (var y = 0; y < 256; y++)
                    {
                        for (var x = 0; x < 256; x++)
                        {
                            for (var c = 0; c < 3; c++)
                            {
                                input[(((i * 256) + y) * 256 + x) * 3 + c] = pixels[((y * 2 + 100) * frame.Width + (x * 2 + 300)) * 3 + (2 - c)] / 127.5f - 1f;
                            }
                        }
                    }
                    i++;
                }
            }
        }
        Assert.Equal(count, i);
        return input;
    }

    private static float[][] Run(InferenceSession session, float[] input, int batch)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, 256, 256, 3]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [session.InputNames[0]], [value], session.OutputNames);
        return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    /// <summary>Equal up to float32 rounding of a different summation order: 1e-4 absolute, relative for large values (the box regressors reach about 900, where one ulp is 6e-5).</summary>
    private static bool WithinFloatRounding(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y) <= 1e-4f * Math.Max(1f, Math.Abs(y))).All(ok => ok);

    [Fact]
    public void A_batch_of_8_equals_8_single_runs_and_the_original_model()
    {
        var inputs = RealInputs(8);
        var (batched, _) = models.Sessions.Create(models.Store.Resolve("blazeface-back-256"));
        var (original, _) = models.Sessions.Create(Path.Combine(models.Store.Folder, ".cache", "blazeface-back-256", "face_detection_back_256x256_barracuda.onnx"));
        using (batched)
        using (original)
        {
            Assert.Equal(-1, batched.InputMetadata.Single().Value.Dimensions[0]);
            var all = Run(batched, inputs, 8);
            for (var i = 0; i < 8; i++)
            {
                var one = inputs.AsSpan(i * 256 * 256 * 3, 256 * 256 * 3).ToArray();
                var single = Run(batched, one, 1);
                var reference = Run(original, one, 1);
                for (var o = 0; o < all.Length; o++)
                {
                    var per = single[o].Length;
                    var slice = all[o].AsSpan(i * per, per).ToArray();
                    Assert.True(WithinFloatRounding(slice, single[o]), $"image {i} output {o}: batch differs from single");
                    Assert.True(WithinFloatRounding(single[o], reference[o]), $"image {i} output {o}: rewritten differs from original");
                }
            }
        }
    }
}

[Collection(ModelsCollection.Name)]
public sealed class BlazeFaceDetectorBatchTests(ModelFixture models)
{
    [Theory]
    [InlineData("faces.mp4", 256, 192)]
    [InlineData("Megamind.avi", 256, 192)]
    public async Task A_fitted_input_finds_the_faces_of_the_square_input(string sample, int width, int height)
    {
        using var square = new Batch.Faces.BlazeFaceDetector(models.Store, models.Sessions, new Batch.Faces.BlazeFaceOptions(FitToFrame: false));
        var media = await MediaProber.ProbeAsync(Path.Combine(TestPaths.SampleMedia, sample), CancellationToken.None);
        Assert.Equal((width, height), (models.Detector.InputFor(media.Width, media.Height).InputWidth, models.Detector.InputFor(media.Width, media.Height).InputHeight));
        var frames = new List<VideoFrame>();
        try
        {
            await foreach (var frame in new VideoFrameReader(media, FrameSampling.ContextStream).ReadAsync())
            {
                frames.Add(frame);
            }
            var fitted = models.Detector.Detect(frames);
            var squared = square.Detect(frames);
            var (faces, found, ious) = (0, 0, new List<double>());
            for (var i = 0; i < frames.Count; i++)
            {
                foreach (var face in squared[i])
                {
                    faces++;
                    var best = fitted[i].Select(f => Iou(face, f)).DefaultIfEmpty(0).Max();
                    found += best >= 0.5 ? 1 : 0;
                    ious.Add(best);
                }
                Assert.InRange(fitted[i].Count, squared[i].Count - 1, squared[i].Count + 1);
            }
            var median = ious.Order().ElementAt(ious.Count / 2);
            Console.WriteLine($"{sample}: {found}/{faces} faces found again, median IoU {median:F3}, {fitted.Sum(f => f.Count)} fitted vs {faces} square");
            Assert.True(faces >= 20, $"{faces} faces with the square input");
            Assert.True(found >= faces * 0.95, $"{found} of {faces} faces found again with the fitted input");
            Assert.True(median >= 0.9, $"median IoU {median:F3}");
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }

        static double Iou(Batch.Faces.FaceDetection a, Batch.Faces.FaceDetection b)
        {
            var w = Math.Max(0, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1));
            var h = Math.Max(0, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
            var inter = w * h;
            return inter / ((a.Width * a.Height) + (b.Width * b.Height) - inter);
        }
    }

    [Fact]
    public async Task Eight_frames_per_call_find_the_same_faces_as_one_per_call_with_two_videos_interleaved()
    {
        using var batched = new Batch.Faces.BlazeFaceDetector(models.Store, models.Sessions, new Batch.Faces.BlazeFaceOptions(FramesPerCall: 8));
        var faces = new List<VideoFrame>();
        var squares = new List<VideoFrame>();
        var frames = new List<VideoFrame>();
        try
        {
            // Two shapes (the 16:9 face sample and its central 720x720 square: two input sizes, faces in both)
            // interleaved, as two videos in flight share a batch.
            await foreach (var frame in new VideoFrameReader(await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None), FrameSampling.ContextStream).ReadAsync())
            {
                faces.Add(frame);
                squares.Add(OpenCvViews.Use(frame, image =>
                {
                    using var square = new OpenCvSharp.Mat(image, new OpenCvSharp.Rect(280, 0, 720, 720)).Clone();
                    var pixels = new byte[720 * 720 * 3];
                    System.Runtime.InteropServices.Marshal.Copy(square.Data, pixels, 0, pixels.Length);
                    return VideoFrame.FromPixels(pixels, 720, 720, frame.FrameIndex, frame.Timestamp);
                }));
            }
            for (var i = 0; i < faces.Count; i++)
            {
                frames.AddRange(faces.Skip(i).Take(1).Concat(squares.Skip(i).Take(1)));
            }
            Assert.Equal(2, frames.Select(f => batched.InputFor(f.Width, f.Height)).Select(b => (b.InputWidth, b.InputHeight)).Distinct().Count());
            var one = models.Detector.Detect(frames);
            var eight = batched.Detect(frames);
            Assert.Equal(one.Length, eight.Length);
            Assert.True(one.Where((_, i) => i % 2 == 1).Sum(f => f.Count) >= faces.Count, "the square crops hold faces too");
            for (var i = 0; i < one.Length; i++)
            {
                Assert.Equal(one[i].Count, eight[i].Count);
                for (var f = 0; f < one[i].Count; f++)
                {
                    Assert.Equal(one[i][f].X1, eight[i][f].X1, 2);
                    Assert.Equal(one[i][f].Y2, eight[i][f].Y2, 2);
                    Assert.Equal(one[i][f].Score, eight[i][f].Score, 4);
                }
            }
        }
        finally
        {
            faces.Concat(squares).ToList().ForEach(f => f.Dispose());
        }
    }
}
