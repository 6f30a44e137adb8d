using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Pipeline;

/// <summary>Every network of a run loaded once, the voice networks on a task of their own beside the frame networks.</summary>
public sealed class AnalyzerModelsTests
{
    private static readonly ModelStore Store = ModelStore.Open(TestPaths.Models);

    private static SessionFactory Sessions() => new(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance);

    [Fact]
    public void A_features_run_gets_the_frame_networks_and_the_voice_networks_loaded_beside_them()
    {
        using var models = AnalyzerModels.Load(new ModelChoice(RunMode.Features), Store, Sessions());
        Assert.NotNull(models.Expression);
        Assert.NotNull(models.Pose);
        Assert.NotNull(models.Identity);
        Assert.NotNull(models.Audio);
        Assert.Equal(DeepSpectrumModel.BundledId, models.Audio.CnnModel?.Id);
        Assert.Null(models.Fusion);
        Assert.Equal(["voice_activity", "audio_cnn"], AnalyzerModels.FeatureModels(models.Analyzer, models.Audio).Select(m => m.Role).TakeLast(2));
    }

    [Fact]
    public void A_faces_run_loads_no_voice_network()
    {
        using var models = AnalyzerModels.Load(new ModelChoice(RunMode.Faces), Store, Sessions());
        Assert.Null(models.Audio);
        Assert.Null(models.Expression);
    }

    [Fact]
    public void A_voice_network_that_cannot_load_fails_the_load_with_its_own_message()
    {
        var ex = Assert.Throws<ModelException>(() => AnalyzerModels.Load(new ModelChoice(RunMode.Features, Audio: AudioFeatureKind.LogMel, AudioCnn: "/nonexistent/densenet.onnx"), Store, Sessions()));
        Assert.Equal("--deepspectrum names a CNN but --audio logmel uses none", ex.Message);
    }

    [Fact]
    public void When_both_sides_fail_the_frame_networks_error_is_the_one_reported()
    {
        var choice = new ModelChoice(RunMode.Features, OpenPose: "/nonexistent/openpose.onnx", AudioCnn: "/nonexistent/densenet.onnx");
        var ex = Assert.Throws<ModelException>(() => AnalyzerModels.Load(choice, Store, Sessions()));
        Assert.Equal("OpenPose model /nonexistent/openpose.onnx does not exist", ex.Message);
    }
}
