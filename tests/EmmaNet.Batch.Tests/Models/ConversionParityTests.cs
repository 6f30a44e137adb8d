using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>The converted models against the original TF.js models run by TensorFlow.js itself, on real media.</summary>
[Collection(ModelsCollection.Name)]
public sealed class ConversionParityTests(ModelFixture models)
{
    private const float Tolerance = 1e-4f;

    private string SourceJson(string id, string file) => Path.Combine(models.Store.Folder, ".cache", id, file);

    private float[][] RunOnnx(string id, float[] input, long[] shape, params string[] outputs)
    {
        var (session, _) = models.Sessions.Create(models.Store.Resolve(id));
        using (session)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [session.InputNames[0]], [value], outputs);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
    }

    private static async Task<List<VideoFrame>> FramesAsync(string video, int take)
    {
        var media = await MediaProber.ProbeAsync(video, CancellationToken.None);
        var frames = new List<VideoFrame>();
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.ContextStream).ReadAsync())
        {
            frames.Add(frame);
        }
        // Spread over the video: one frame per photo of the face sample.
        var step = Math.Max(1, frames.Count / take);
        var kept = frames.Where((_, i) => i % step == step / 2).Take(take).ToList();
        frames.Except(kept).ToList().ForEach(f => f.Dispose());
        return kept;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"{what}: max |onnx - tfjs| = {worst:g3} > {Tolerance}");
    }

    [Fact]
    public async Task Expression_model_matches_tfjs_on_real_face_crops()
    {
        var frames = await FramesAsync(TestPaths.FacesVideo, 6);
        var crops = new List<float[]>();
        try
        {
            var faces = models.Detector.Detect(frames);
            for (var i = 0; i < frames.Count; i++)
            {
                crops.AddRange(faces[i].Take(2).Select(f => ExpressionInput(frames[i], f)));
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        Assert.True(crops.Count >= 8, $"only {crops.Count} face crops");
        var input = crops.SelectMany(c => c).ToArray();
        var n = crops.Count;

        var onnx = RunOnnx("fer-mini-xception", input, [n, 64, 64, 1], "probabilities", "embedding");
        var tfjs = TfjsReference.Run(SourceJson("fer-mini-xception", "emotion.json"), input, [n, 64, 64, 1], "Identity", "StatefulPartitionedCall/model_1/add_2/add");

        AssertClose(tfjs[0].Data, onnx[0], "probabilities");
        // The embedding is add_2 averaged over its spatial positions.
        var (add2, shape) = tfjs[1];
        var (h, w, c) = (shape[1], shape[2], shape[3]);
        var pooled = new float[n * c];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < h * w; p++)
            {
                for (var k = 0; k < c; k++)
                {
                    pooled[b * c + k] += add2[(b * h * w + p) * c + k] / (h * w);
                }
            }
        }
        AssertClose(pooled, onnx[1], "embedding");
    }

    /// <summary>The human-models preprocessing: crop, bilinear 64x64, grey = 0.2989 R + 0.5870 G + 0.1140 B in 0..1, then (grey - 0.5) * 2.</summary>
    private static float[] ExpressionInput(VideoFrame frame, Batch.Faces.FaceDetection face) => OpenCvViews.Use(frame, image =>
        {
            var rect = new Rect((int)face.X1, (int)face.Y1, Math.Max(1, (int)face.Width), Math.Max(1, (int)face.Height)).Intersect(new Rect(0, 0, frame.Width, frame.Height));
            using var crop = new Mat(image, rect);
            using var small = new Mat();
            Cv2.Resize(crop, small, new Size(64, 64), 0, 0, InterpolationFlags.Linear);
            var result = new float[64 * 64];
            for (var y = 0; y < 64; y++)
            {
                for (var x = 0; x < 64; x++)
                {
                    var bgr = small.At<Vec3b>(y, x);
                    var grey = (0.2989f * bgr.Item2 + 0.5870f * bgr.Item1 + 0.1140f * bgr.Item0) / 255f;
                    result[y * 64 + x] = (grey - 0.5f) * 2f;
                }
            }
            return result;
        });

    [Fact]
    public async Task Pose_model_matches_tfjs_on_a_real_frame()
    {
        var frames = await FramesAsync(TestPaths.VTest, 1);
        float[] input;
        try
        {
            input = PoseInput(frames[0]);
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        string[] names = ["heatmaps", "offsets", "displacement_fwd", "displacement_bwd"];
        var onnx = RunOnnx("posenet-mobilenet", input, [1, 385, 385, 3], names);
        var tfjs = TfjsReference.Run(SourceJson("posenet-mobilenet", "posenet.json"), input, [1, 385, 385, 3],
            "MobilenetV1/heatmap_2/BiasAdd", "MobilenetV1/offset_2/BiasAdd", "MobilenetV1/displacement_fwd_2/BiasAdd", "MobilenetV1/displacement_bwd_2/BiasAdd");
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal([1, 25, 25, tfjs[i].Shape[3]], tfjs[i].Shape);
            // Offsets and displacements are pixel distances (up to about 64): float32 sums in a different order differ by a few
            // 1e-4 there, so the bound is 1e-4 of the tensor's largest magnitude (docs/decisions.md).
            var scale = Math.Max(1f, tfjs[i].Data.Max(Math.Abs));
            var worst = tfjs[i].Data.Zip(onnx[i], (e, a) => Math.Abs(e - a)).Max() / scale;
            Assert.True(worst <= Tolerance, $"{names[i]}: max |onnx - tfjs| / max |tfjs| = {worst:g3} > {Tolerance}");
        }
    }

    [Fact]
    public async Task Identity_model_matches_tfjs_on_real_face_crops()
    {
        var frames = await FramesAsync(TestPaths.FacesVideo, 6);
        var aligner = new Batch.Faces.FaceAligner(224, Batch.Faces.FaceIdentityModel.CropMargin);
        var crops = new List<float[]>();
        try
        {
            var faces = models.Detector.Detect(frames);
            for (var i = 0; i < frames.Count; i++)
            {
                crops.AddRange(faces[i].Take(2).Select(f => Rgb(aligner.Crop(frames[i].View, f))));
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        Assert.True(crops.Count >= 8, $"only {crops.Count} face crops");
        var input = crops.SelectMany(c => c).ToArray();
        var n = crops.Count;

        var onnx = RunOnnx("faceres", input, [n, 224, 224, 3], "descriptor");
        var tfjs = TfjsReference.Run(SourceJson("faceres", "faceres.json"), input, [n, 224, 224, 3], "global_pooling/Mean");
        Assert.Equal([n, 1024], tfjs[0].Shape);
        // Relative to the largest value, as for PoseNet: the descriptor's values reach about 6.
        var scale = Math.Max(1f, tfjs[0].Data.Max(Math.Abs));
        var worst = tfjs[0].Data.Zip(onnx[0], (e, a) => Math.Abs(e - a)).Max() / scale;
        Assert.True(worst <= Tolerance, $"descriptor: max |onnx - tfjs| / max |tfjs| = {worst:g3} > {Tolerance}");
    }

    [Fact]
    public async Task Face_mesh_model_matches_tfjs_on_real_face_crops()
    {
        var frames = await FramesAsync(TestPaths.FacesVideo, 6);
        var aligner = new Batch.Faces.FaceAligner(192, Batch.Faces.FaceMeshModel.CropMargin);
        var crops = new List<float[]>();
        try
        {
            var faces = models.Detector.Detect(frames);
            for (var i = 0; i < frames.Count; i++)
            {
                crops.AddRange(faces[i].Take(2).Select(f => Rgb(aligner.Crop(frames[i].View, f)).Select(v => v / 255f).ToArray()));
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        Assert.True(crops.Count >= 8, $"only {crops.Count} face crops");
        var input = crops.SelectMany(c => c).ToArray();
        var n = crops.Count;

        var onnx = RunOnnx("facemesh", input, [n, 192, 192, 3], "mesh", "faceflag");
        var tfjs = TfjsReference.Run(SourceJson("facemesh", "facemesh.json"), input, [n, 192, 192, 3], "Identity_2", "Identity_1");
        Assert.Equal([n, 1404], tfjs[0].Shape);
        // Landmarks are crop pixels (0..192): the bound is relative to the largest, as for PoseNet.
        for (var i = 0; i < 2; i++)
        {
            var scale = Math.Max(1f, tfjs[i].Data.Max(Math.Abs));
            var worst = tfjs[i].Data.Zip(onnx[i], (e, a) => Math.Abs(e - a)).Max() / scale;
            Assert.True(worst <= Tolerance, $"output {i}: max |onnx - tfjs| / max |tfjs| = {worst:g3} > {Tolerance}");
        }
    }

    [Fact]
    public async Task Iris_model_matches_tfjs_on_real_eye_crops()
    {
        var frames = await FramesAsync(TestPaths.Megamind, 4);
        var crops = new List<float[]>();
        try
        {
            using var mesh = new Batch.Faces.FaceMeshModel(models.Store, models.Sessions);
            var aligner = new Batch.Faces.FaceAligner(Batch.Faces.IrisModel.InputSize, Batch.Faces.IrisModel.CropScale);
            var faces = models.Detector.Detect(frames);
            for (var i = 0; i < frames.Count; i++)
            {
                foreach (var face in mesh.Describe(frames[i].View, faces[i].Take(2).ToList()))
                {
                    foreach (var left in new[] { false, true })
                    {
                        var crop = aligner.CropInto(frames[i].View, Batch.Faces.IrisModel.EyeMap(face, left), new Batch.Imaging.BgrImage(1, 1));
                        crops.Add(Rgb(crop).Select(v => v / 255f).ToArray());
                    }
                }
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        Assert.True(crops.Count >= 8, $"only {crops.Count} eye crops");
        var input = crops.SelectMany(c => c).ToArray();
        var n = crops.Count;

        var onnx = RunOnnx("iris", input, [n, 64, 64, 3], "eye");
        var tfjs = TfjsReference.Run(SourceJson("iris", "iris.json"), input, [n, 64, 64, 3], "Identity");
        Assert.Equal([n, 1, 1, 228], tfjs[0].Shape);
        // Eye and iris points in crop pixels (0..64): the bound is relative to the largest, as for the mesh.
        var scale = Math.Max(1f, tfjs[0].Data.Max(Math.Abs));
        var worst = tfjs[0].Data.Zip(onnx[0], (e, a) => Math.Abs(e - a)).Max() / scale;
        Assert.True(worst <= Tolerance, $"max |onnx - tfjs| / max |tfjs| = {worst:g3} > {Tolerance}");
    }

    [Fact]
    public async Task Faceapi_expression_net_matches_faceapi_on_real_face_crops()
    {
        var frames = await FramesAsync(TestPaths.FacesVideo, 6);
        var aligner = new Batch.Faces.FaceAligner(Batch.Models.Conversion.FaceApiExpressionNet.InputSize);
        var crops = new List<float[]>();
        try
        {
            var faces = models.Detector.Detect(frames);
            for (var i = 0; i < frames.Count; i++)
            {
                crops.AddRange(faces[i].Take(2).Select(f => Rgb(aligner.Crop(frames[i].View, f))));
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
        Assert.True(crops.Count >= 8, $"only {crops.Count} face crops");
        var input = crops.SelectMany(c => c).ToArray();
        var n = crops.Count;

        var onnx = RunOnnx("faceapi-expression", input, [n, 112, 112, 3], "probabilities", "embedding");
        var faceapi = TfjsReference.RunFaceApiExpression(Path.Combine(models.Store.Folder, ".cache", "faceapi-expression"), input, [n, 112, 112, 3]);
        Assert.Equal([n, 7], faceapi[0].Shape);
        Assert.Equal([n, 1, 1, 256], faceapi[1].Shape);
        AssertClose(faceapi[0].Data, onnx[0], "probabilities");
        var scale = Math.Max(1f, faceapi[1].Data.Max(Math.Abs));
        var worst = faceapi[1].Data.Zip(onnx[1], (e, a) => Math.Abs(e - a)).Max() / scale;
        Assert.True(worst <= Tolerance, $"embedding: max |onnx - face-api| / max |face-api| = {worst:g3} > {Tolerance}");
    }

    /// <summary>The identity and face-api expression models' input: RGB in 0..255.</summary>
    private static float[] Rgb(Batch.Imaging.BgrImage crop)
    {
        var pixels = crop.Pixels;
        var result = new float[pixels.Length];
        for (var p = 0; p < pixels.Length; p += 3)
        {
            (result[p], result[p + 1], result[p + 2]) = (pixels[p + 2], pixels[p + 1], pixels[p]);
        }
        return result;
    }

    /// <summary>PoseNet input: the frame stretched to 385x385, RGB scaled to x / 127.5 - 1.</summary>
    private static float[] PoseInput(VideoFrame frame) => OpenCvViews.Use(frame, image =>
        {
            using var small = new Mat();
            Cv2.Resize(image, small, new Size(385, 385), 0, 0, InterpolationFlags.Linear);
            var result = new float[385 * 385 * 3];
            for (var y = 0; y < 385; y++)
            {
                for (var x = 0; x < 385; x++)
                {
                    var bgr = small.At<Vec3b>(y, x);
                    var o = (y * 385 + x) * 3;
                    result[o] = bgr.Item2 / 127.5f - 1f;
                    result[o + 1] = bgr.Item1 / 127.5f - 1f;
                    result[o + 2] = bgr.Item0 / 127.5f - 1f;
                }
            }
            return result;
        });
}
