using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>Provider choice on the CPU build: explicit fallback for auto, explicit failure otherwise.</summary>
public sealed class ExecutionProviderTests
{
    private static string Model => Path.Combine(TestPaths.Models, ModelStore.Open(TestPaths.Models).Manifest.Get("blazeface-back-256").File);

    [Fact]
    public void Auto_on_the_cpu_build_says_so_in_one_line_and_nothing_else()
    {
        var log = new ListLogger();
        var factory = new SessionFactory(new ExecutionOptions(ExecutionDevice.Auto), log);
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var (session, provider) = factory.Create(Model);
            session.Dispose();
            Assert.Equal("CPUExecutionProvider", provider);
        }
        Assert.False(factory.Plan.GpuBuild);
        Assert.Equal([ExecutionDevice.Cpu], factory.Plan.Order);
        var line = Assert.Single(log.Lines, l => l.Level >= LogLevel.Information);
        Assert.Equal((LogLevel.Information, "CPU build: CPUExecutionProvider"), line);
        Assert.Equal(3, log.Lines.Count(l => l.Level == LogLevel.Debug && l.Message.EndsWith("on CPUExecutionProvider", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(ExecutionDevice.Cuda, "--device cuda")]
    [InlineData(ExecutionDevice.TensorRT, "--device tensorrt")]
    public void A_named_gpu_provider_on_the_cpu_build_is_an_error_not_a_fallback(ExecutionDevice device, string named)
    {
        var ex = Assert.Throws<ModelException>(() => new SessionFactory(new ExecutionOptions(device), new ListLogger()).Create(Model));
        Assert.StartsWith(named + ": this is the CPU build", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-p:EmmaNetGpu=true", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_tensorrt_engine_cache_folder_is_named()
    {
        var options = new ExecutionOptions(ExecutionDevice.Auto, TensorRtCacheFolder: "/nonexistent/trt-cache");
        var ex = Assert.Throws<ModelException>(() => new SessionFactory(options, new ListLogger()).Create(Model));
        Assert.Contains("TensorRT engine cache folder /nonexistent/trt-cache does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_threads_default_to_half_the_cores()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), SessionFactory.DefaultCpuThreads);
    }

    [Fact]
    public void A_model_that_breaks_its_contract_is_refused_with_the_difference()
    {
        var store = ModelStore.Open(TestPaths.Models);
        var expression = store.Manifest.Get("fer-mini-xception");
        var pose = store.PathOf(store.Manifest.Get("posenet-mobilenet"));
        var ex = Assert.Throws<ModelException>(() => ModelContract.Verify(expression, pose));
        Assert.Contains("no input 'input_1' (has image)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("output 'embedding'", ex.Message, StringComparison.Ordinal);
    }
}
