using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using DataType = EmmaNet.Batch.Onnx.Proto.TensorProto.Types.DataType;

namespace EmmaNet.Batch.Tests.Audio;

public sealed class DeepSpectrumTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private static float[] Tone(double hz, int samples = 16000) =>
        Enumerable.Range(0, samples).Select(n => (float)(0.5 * Math.Sin(2 * Math.PI * hz * n / 16000))).ToArray();

    [Fact]
    public void A_1_khz_tone_draws_its_band_in_yellow_at_the_rows_computed_by_hand()
    {
        var renderer = new MelSpectrogramImage();
        Assert.Equal((512, 256), (renderer.FftSize, renderer.Hop));
        var picture = renderer.Render(Tone(1000));
        Assert.Equal((227, 227), (picture.Width, picture.Height));
        // By hand: HTK mel(8000 Hz) = 2595 log10(1 + 8000/700) = 2840.0; 128 bands have centres at (k + 1) * 2840.0 / 129
        // = 22.016 (k + 1) mel; 1000 Hz is 1000.0 mel, between band 44 (990.7) and band 45 (1012.7), nearer 44, whose
        // filter then takes the most power. Band 44 covers picture rows y with 44 <= (227 - y - 0.5) * 128 / 227 < 45,
        // i.e. y = 147 and 148 (row 0 is the top). The loudest cell is 0 dB, the top of the colour range: viridis(1).
        foreach (var y in new[] { 147, 148 })
        {
            Assert.Equal(((byte)37, (byte)231, (byte)253), picture.At(y, 113));
        }
        Assert.NotEqual(((byte)37, (byte)231, (byte)253), picture.At(140, 113));
        // The quietest cell takes the bottom of the range: viridis(0) = (68, 1, 84).
        var colours = Enumerable.Range(0, 227).Select(y => picture.At(y, 113)).Select(p => (p.R, p.G, p.B)).ToHashSet();
        Assert.Contains(((byte)68, (byte)1, (byte)84), colours);
    }

    [Fact]
    public void Decibels_are_relative_to_the_window_maximum()
    {
        var db = new MelSpectrogramImage().DecibelsRelativeToMax(Tone(440));
        Assert.Equal(1 + ((16000 - 512) / 256), db.Length);
        Assert.Equal(0f, db.Max(f => f.Max()), 4);
        Assert.True(db.Min(f => f.Min()) < -60f);
    }

    [Fact]
    public void Imagenet_normalisation_of_a_white_picture()
    {
        var white = new BgrImage(4, 4);
        white.Pixels.Fill(255);
        var nchw = DeepSpectrumModel.Normalise(white, 4, channelsFirst: true);
        Assert.Equal((1 - 0.485f) / 0.229f, nchw[0], 5);
        Assert.Equal((1 - 0.456f) / 0.224f, nchw[16], 5);
        Assert.Equal((1 - 0.406f) / 0.225f, nchw[32], 5);
        var nhwc = DeepSpectrumModel.Normalise(white, 4, channelsFirst: false);
        Assert.Equal([nchw[0], nchw[16], nchw[32]], nhwc[..3]);
    }

    /// <summary>A stand-in ImageNet CNN: a 1x1 conv (3 -> 2 channels) then global average pooling named avg_pool.</summary>
    private string BuildCnn(float[] weights, float[] bias)
    {
        var b = new OnnxGraphBuilder("cnn");
        var x = b.AddInput("data", DataType.Float, "N", 3, 224, 224);
        var conv = b.Node("Conv", [x, b.Float("w", weights, 2, 3, 1, 1), b.Float("b", bias, 2)], new Dictionary<string, object> { ["kernel_shape"] = new long[] { 1, 1 } });
        b.Node("GlobalAveragePool", [conv], output: "avg_pool");
        b.AddOutput("avg_pool", DataType.Float, "N", 2, 1, 1);
        var path = _temp.File("cnn.onnx");
        OnnxModelFile.Save(b.Build(), path);
        return path;
    }

    [Fact]
    public void The_cnn_path_gives_the_configured_output_for_the_rendered_picture()
    {
        float[] w = [1f, -2f, 0.5f, 0f, 1f, 1f];
        float[] bias = [0.25f, -1f];
        using var model = DeepSpectrumModel.FromFile(BuildCnn(w, bias), new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance));
        var window = Tone(700);
        var tensor = model.ImageTensor(window);
        var plane = 224 * 224;
        var means = Enumerable.Range(0, 3).Select(c => tensor.Skip(c * plane).Take(plane).Average()).ToArray();
        var features = model.Features(window);
        Assert.Equal(2, features.Length);
        for (var o = 0; o < 2; o++)
        {
            var expected = bias[o] + (w[o * 3] * means[0]) + (w[(o * 3) + 1] * means[1]) + (w[(o * 3) + 2] * means[2]);
            Assert.Equal(expected, features[o], 3);
        }
    }

    [Fact]
    public void The_network_is_in_memory_only_while_something_holds_it()
    {
        using var model = DeepSpectrumModel.FromFile(BuildCnn([1f, -2f, 0.5f, 0f, 1f, 1f], [0.25f, -1f]), new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance));
        Assert.Equal(2, model.FeatureCount);
        Assert.True(model.Loaded);   // loaded to check it, kept for the first holder
        var window = Tone(700);
        float[] held;
        using (model.Hold())
        {
            using (model.Hold())
            {
                held = model.Features(window);
            }
            Assert.True(model.Loaded);   // one holder left
        }
        Assert.False(model.Loaded);
        // Without a holder a call loads it for itself, reads the same, and lets it go.
        Assert.Equal(held, model.Features(window));
        Assert.False(model.Loaded);
        var hold = model.Hold();
        hold.Dispose();
        hold.Dispose();   // a second dispose lets go of nothing more
        using (model.Hold())
        {
            Assert.True(model.Loaded);
        }
        Assert.False(model.Loaded);
    }

    [Fact]
    public void A_missing_output_name_lists_the_outputs()
    {
        var ex = Assert.Throws<ModelException>(() => DeepSpectrumModel.FromFile(BuildCnn(new float[6], new float[2]), new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance), "pool5"));
        Assert.Contains("has no output 'pool5' (outputs: avg_pool)", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}

[Collection(ModelsCollection.Name)]
public sealed class DeepSpectrumExtractionTests(ModelFixture models, GeneratedClips clips) : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public async Task Audio_steps_carry_the_cnn_features_of_their_window()
    {
        var b = new OnnxGraphBuilder("cnn");
        var x = b.AddInput("data", DataType.Float, "N", 3, 224, 224);
        b.Node("GlobalAveragePool", [x], output: "avg_pool");
        b.AddOutput("avg_pool", DataType.Float, "N", 3, 1, 1);
        var path = _temp.File("pool.onnx");
        OnnxModelFile.Save(b.Build(), path);
        using var cnn = DeepSpectrumModel.FromFile(path, models.Sessions);
        var extractor = new AudioFeatureExtractor(models.Vad, cnn);
        Assert.Equal(["audio_ds_0000", "audio_ds_0001", "audio_ds_0002"], extractor.ColumnNames);
        var media = await MediaProber.ProbeAsync(clips.Cfr30, CancellationToken.None);
        var steps = new List<AudioStep>();
        await foreach (var step in extractor.ExtractAsync(media))
        {
            Assert.True(cnn.Loaded);
            steps.Add(step);
        }
        Assert.False(cnn.Loaded);   // a video's audio read, nothing holds the network
        Assert.Equal(6, steps.Count);
        // Each step holds the CNN's reading of its own window: [t - 0.5 s, t + 0.5 s), zeros outside the audio.
        var audio = new List<float>();
        await foreach (var chunk in AudioReader.ReadAsync(media))
        {
            audio.AddRange(chunk);
        }
        foreach (var step in steps)
        {
            var start = (int)Math.Round((step.Time - 0.5) * 16000);
            var window = Enumerable.Range(start, 16000).Select(i => i >= 0 && i < audio.Count ? audio[i] : 0f).ToArray();
            Assert.Equal(cnn.Features(window), step.Features);
        }
    }

    [Fact]
    public async Task The_bundled_resnet18_reads_a_window_as_the_packages_own_preprocessing_and_network_do()
    {
        using var cnn = DeepSpectrumModel.Bundled(models.Store, models.Sessions);
        var source = models.Store.Manifest.Get(DeepSpectrumModel.BundledId).Source;
        var package = NuGetPackages.FolderOf(source.Package, source.Version);
        var media = await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None);
        var audio = new List<float>();
        await foreach (var chunk in AudioReader.ReadAsync(media))
        {
            audio.AddRange(chunk);
            if (audio.Count >= 3 * 16000)
            {
                break;
            }
        }
        var speech = audio.Skip(16000).Take(16000).ToArray();   // 1-2 s: the first photo's voice

        // The package's way: RGB pixels 0..255 through ResNetPreprocess.onnx (channels to BGR, minus the mean image), then ResNet18.onnx.
        var normalised = cnn.ImageTensor(speech);
        const int plane = 224 * 224;
        var rgb255 = new float[normalised.Length];
        for (var i = 0; i < rgb255.Length; i++)
        {
            var c = i / plane;
            rgb255[i] = ((normalised[i] * Batch.Models.Conversion.ImageNetInput.Std[c]) + Batch.Models.Conversion.ImageNetInput.Mean[c]) * 255;
        }
        using var prep = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(package, "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx"));
        using var net = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(package, source.Path));
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(rgb255, [1, 3, 224, 224]);
        using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var prepared = prep.Run(run, ["OriginalInput"], [input], ["PreprocessedInput"]);
        using var pooled = net.Run(run, ["Input247"], [prepared[0]], ["Pooling395_Output_0"]);
        var expected = pooled[0].GetTensorDataAsSpan<float>().ToArray();

        var features = cnn.Features(speech);
        Assert.Equal(512, features.Length);
        var scale = expected.Max(Math.Abs);
        Assert.True(scale > 0.1, $"the network's largest value is {scale}: the picture reached it blank");
        for (var i = 0; i < features.Length; i++)
        {
            Assert.True(Math.Abs(features[i] - expected[i]) <= 1e-4 * scale, $"value {i}: {features[i]} against the package's {expected[i]}");
        }
        // Speech and silence are different pictures, so different features.
        var silence = cnn.Features(new float[16000]);
        var distance = Math.Sqrt(features.Zip(silence, (a, b) => (a - b) * (a - b)).Sum());
        Assert.True(distance > 0.1 * Math.Sqrt(features.Sum(v => v * v)), $"speech and silence {distance:F3} apart");
    }

    public void Dispose() => _temp.Dispose();
}
