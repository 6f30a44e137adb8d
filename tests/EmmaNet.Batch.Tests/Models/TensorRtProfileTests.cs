using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>The TensorRT optimisation profiles derived from a model's symbolic batch (the strings TensorRT is given; no GPU here to build engines).</summary>
public sealed class TensorRtProfileTests
{
    [Fact]
    public void The_fusion_network_gets_batch_1_16_256_profiles_for_every_input()
    {
        using var temp = new TempFolder();
        var path = temp.File("fusion.onnx");
        OnnxModelFile.Save(FusionExport.Build(new FusionNetwork(new FusionConfig(Hidden: 4, KeySize: 2, HeadHidden: 4)), new Dictionary<string, string>()), path);

        var profiles = TensorRtProfiles.For(path);

        Assert.NotNull(profiles);
        Assert.Equal("face_seq:1x12x263,audio_seq:1x12x256,pose_seq:1x12x51,face_now:1x263,mask:1x12x3", profiles.Value.Min);
        Assert.Equal("face_seq:16x12x263,audio_seq:16x12x256,pose_seq:16x12x51,face_now:16x263,mask:16x12x3", profiles.Value.Opt);
        Assert.StartsWith("face_seq:256x12x263,", profiles.Value.Max, StringComparison.Ordinal);
    }

    [Fact]
    public void Converted_models_get_profiles_unless_their_input_names_cannot_be_written_in_tensorrts_format()
    {
        var store = ModelStore.Open(TestPaths.Models);
        // PoseNet's height and width are symbolic: from a quarter of its nominal 385 (fitted inputs) to 385.
        Assert.Equal(("image:1x97x97x3", "image:16x385x385x3", "image:256x385x385x3"), TensorRtProfiles.For(store.Resolve("posenet-mobilenet")));
        // BlazeFace's batch is symbolic but its input is named "input:0": TensorRT's "name:dims" list cannot hold it.
        Assert.Null(TensorRtProfiles.For(store.Resolve("blazeface-back-256")));
    }
}
