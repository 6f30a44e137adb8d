using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>The exported ONNX fusion model against the C# forward pass, for every variant.</summary>
public sealed class FusionExportTests
{
    private static readonly FusionConfig Small = new(Steps: 5, FaceSize: 7, AudioSize: 5, PoseSize: 6, Hidden: 4, Layers: 2, KeySize: 3, HeadHidden: 9, Dropout: 0.3);

    public static TheoryData<FusionVariant, bool, bool, bool> Variants()
    {
        var data = new TheoryData<FusionVariant, bool, bool, bool>();
        foreach (var v in Enum.GetValues<FusionVariant>())
        {
            data.Add(v, v == FusionVariant.Attention, true, false);
        }
        data.Add(FusionVariant.Attention, false, true, false);
        data.Add(FusionVariant.Attention, false, false, false);   // encoders without the presence input
        data.Add(FusionVariant.Attention, false, true, true);     // with the step position
        return data;
    }

    /// <summary>A standardisation far from identity, so the graph must apply it.</summary>
    internal static FeatureNormalization RandomNormalization(FusionConfig c, Random random)
    {
        int[] sizes = [c.FaceSize, c.AudioSize, c.PoseSize];
        return new FeatureNormalization(
            sizes.Select(n => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray(),
            sizes.Select(n => Enumerable.Range(0, n).Select(_ => (float)(0.3 + (random.NextDouble() * 3))).ToArray()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Onnx_runtime_reproduces_the_csharp_forward_pass(FusionVariant variant, bool bidirectionalContext, bool presenceInput, bool stepPosition)
    {
        var config = Small with { Variant = variant, BidirectionalContext = bidirectionalContext, PresenceInput = presenceInput, StepPosition = stepPosition };
        var network = new FusionNetwork(config, seed: 7);
        network.Normalization = RandomNormalization(config, new Random(13));
        // Move the trained-only parameters (mix, gates) off their starting values so the export must carry them.
        var random = new Random(9);
        foreach (var p in network.Params)
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                p.Value[i] += (random.NextDouble() - 0.5) * 0.2;
            }
        }
        var windows = Enumerable.Range(0, 3).Select(w => Window(config, random, poseAbsent: w == 1)).ToList();

        using var temp = new TempFolder();
        var path = temp.File("fusion.onnx");
        OnnxModelFile.Save(FusionExport.Build(network, new Dictionary<string, string> { ["face_expression"] = "fer-mini-xception:abc" }), path);
        using var session = new InferenceSession(path);
        Assert.Equal(-1, session.InputMetadata["face_seq"].Dimensions[0]);
        Assert.Equal("5", session.ModelMetadata.CustomMetadataMap["emmanet.fusion.steps"]);
        Assert.Equal(variant.ToString().ToLowerInvariant(), session.ModelMetadata.CustomMetadataMap["emmanet.fusion.variant"]);
        Assert.Equal("fer-mini-xception:abc", session.ModelMetadata.CustomMetadataMap["emmanet.extractor.face_expression"]);

        var n = windows.Count;
        float[] Flat(Func<FusionWindow, IEnumerable<double>> pick) => windows.SelectMany(pick).Select(v => (float)v).ToArray();
        using var face = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Face.SelectMany(x => x)), [n, config.Steps, config.FaceSize]);
        using var audio = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Audio.SelectMany(x => x)), [n, config.Steps, config.AudioSize]);
        using var pose = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Pose.SelectMany(x => x)), [n, config.Steps, config.PoseSize]);
        using var now = OrtValue.CreateTensorValueFromMemory(Flat(w => w.FaceNow), [n, config.FaceSize]);
        using var mask = OrtValue.CreateTensorValueFromMemory(Flat(w => w.Present.SelectMany(p => p.Select(b => b ? 1.0 : 0.0))), [n, config.Steps, 3]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["face_seq", "audio_seq", "pose_seq", "face_now", "mask"], [face, audio, pose, now, mask], ["probs", "attn_face", "attn_audio", "attn_pose"]);

        var probs = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var attention = Enumerable.Range(1, 3).Select(i => outputs[i].GetTensorDataAsSpan<float>().ToArray()).ToArray();
        for (var w = 0; w < n; w++)
        {
            var expected = network.Predict(windows[w]);
            for (var k = 0; k < config.Classes; k++)
            {
                Assert.True(Math.Abs(expected.Probabilities[k] - probs[(w * config.Classes) + k]) < 1e-4, $"window {w} class {k}");
            }
            for (var m = 0; m < 3; m++)
            {
                for (var t = 0; t < config.Steps; t++)
                {
                    Assert.True(Math.Abs(expected.Attention[m][t] - attention[m][(w * config.Steps) + t]) < 1e-4, $"window {w} modality {m} step {t}");
                }
            }
        }
        if (variant is FusionVariant.Attention or FusionVariant.Context)
        {
            // Window 1 has no pose at any step: no attention on pose.
            Assert.All(attention[2].Skip(config.Steps).Take(config.Steps), a => Assert.Equal(0f, a));
        }
    }

    private static FusionWindow Window(FusionConfig c, Random random, bool poseAbsent)
    {
        double[] Vector(int size) => Enumerable.Range(0, size).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        return new FusionWindow(
            Enumerable.Range(0, c.Steps).Select(_ => Vector(c.FaceSize)).ToArray(),
            Enumerable.Range(0, c.Steps).Select(_ => Vector(c.AudioSize)).ToArray(),
            Enumerable.Range(0, c.Steps).Select(_ => Vector(c.PoseSize)).ToArray(),
            Vector(c.FaceSize),
            Enumerable.Range(0, c.Steps).Select(_ => new[] { random.NextDouble() > 0.2, random.NextDouble() > 0.4, !poseAbsent && random.NextDouble() > 0.3 }).ToArray());
    }
}
