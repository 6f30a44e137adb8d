using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Pose;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>Fusion windows built from real <c>extract</c> output, and the exported model on them.</summary>
[Collection(ModelsCollection.Name)]
public sealed class RealWindowTests(ModelFixture models)
{
    [Fact]
    public async Task Onnx_reproduces_the_csharp_forward_on_windows_built_from_extracted_features()
    {
        using var temp = new TempFolder();
        using var expression = new ExpressionModel(models.Store, models.Sessions);
        using var pose = new PoseModel(models.Store, models.Sessions);
        var (videos, _) = InputScanner.Scan([TestPaths.FacesVideo]);
        var networks = new PipelineNetworks(new FrameAnalyzer(models.Detector, expression, pose), new AudioFeatureExtractor(models.Vad));
        var outcomes = await new AnalyzePipeline(new FfmpegVideoSource(), networks, NullLogger.Instance)
            .RunAsync(videos, new AnalyzeOptions(temp.Path, RunMode.Features, SubjectChoice.All), null, CancellationToken.None);
        Assert.Equal(VideoStatus.Done, Assert.Single(outcomes).Status);

        var windows = await FeatureWindows.LoadAsync(
            FeatureTables.StepsPath(temp.Path, "faces", SubjectChoice.All), FeatureTables.TicksPath(temp.Path, "faces", SubjectChoice.All), 12, CancellationToken.None);
        // One window per present face tick: 660 faces over the 180 ticks of the six photos.
        Assert.Equal(660, windows.Count);
        var sample = windows[100];
        Assert.Equal(12, sample.Window.Face.Length);
        Assert.Equal(263, sample.Window.FaceNow.Length);
        Assert.Equal(256, sample.Window.Audio[0].Length);
        Assert.Equal(51, sample.Window.Pose[0].Length);
        // The centre step (index 6) is the tick's own 2 Hz step, where the subject's face is present.
        Assert.True(sample.Window.Present[6][0]);

        var config = new FusionConfig(Steps: 12, FaceSize: 263, AudioSize: 256, PoseSize: 51, Hidden: 6, KeySize: 4, HeadHidden: 16);
        var network = new FusionNetwork(config, seed: 5);
        var path = temp.File("fusion.onnx");
        OnnxModelFile.Save(FusionExport.Build(network, new Dictionary<string, string>()), path);
        using var session = new InferenceSession(path);
        var chosen = windows.Where((_, i) => i % 41 == 0).Select(w => w.Window).ToList();
        var n = chosen.Count;
        float[] Flat(Func<FusionWindow, IEnumerable<double>> pick) => chosen.SelectMany(pick).Select(v => (float)v).ToArray();
        using var face = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Face.SelectMany(x => x)), [n, 12, 263]);
        using var audio = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Audio.SelectMany(x => x)), [n, 12, 256]);
        using var body = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Pose.SelectMany(x => x)), [n, 12, 51]);
        using var now = OrtValue.CreateTensorValueFromMemory(Flat(w => w.FaceNow), [n, 263]);
        using var mask = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Present.SelectMany(p => p.Select(b => b ? 1.0 : 0.0))), [n, 12, 3]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["face_seq", "audio_seq", "pose_seq", "face_now", "mask"], [face, audio, body, now, mask], ["probs", "attn_face"]);
        var probs = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var attention = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        for (var w = 0; w < n; w++)
        {
            var expected = network.Predict(chosen[w]);
            for (var k = 0; k < 8; k++)
            {
                Assert.True(Math.Abs(expected.Probabilities[k] - probs[(w * 8) + k]) < 1e-4, $"window {w} class {k}");
            }
            for (var t = 0; t < 12; t++)
            {
                Assert.True(Math.Abs(expected.Attention[0][t] - attention[(w * 12) + t]) < 1e-4, $"window {w} step {t}");
            }
        }
    }
}
