using EmmaNet.Batch.Models;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>Provider choice on the CPU build: explicit fallback for auto, explicit failure otherwise.</summary>
public sealed class ExecutionProviderTests
{
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }

    private static string Model => Path.Combine(TestPaths.Models, ModelStore.Open(TestPaths.Models).Manifest.Get("blazeface-back-256").File);

    [Fact]
    public void Auto_falls_back_to_cpu_and_says_why_for_each_provider()
    {
        var log = new ListLogger();
        var (session, provider) = new SessionFactory(new ExecutionOptions(ExecutionDevice.Auto), log).Create(Model);
        session.Dispose();
        Assert.Equal("CPUExecutionProvider", provider);
        var warning = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning).Message;
        Assert.Contains("TensorRT unavailable", warning, StringComparison.Ordinal);
        Assert.Contains("Cuda unavailable", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_gpu_provider_that_is_missing_is_an_error_not_a_fallback()
    {
        var ex = Assert.Throws<ModelException>(() => new SessionFactory(new ExecutionOptions(ExecutionDevice.Cuda), new ListLogger()).Create(Model));
        Assert.Contains("Cuda unavailable", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--device auto", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_tensorrt_engine_cache_folder_is_named()
    {
        var options = new ExecutionOptions(ExecutionDevice.TensorRT, TensorRtCacheFolder: "/nonexistent/trt-cache");
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
