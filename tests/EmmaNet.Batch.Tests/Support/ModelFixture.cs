using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>The real models, loaded once for every test that needs them (the detector is not thread-safe: one collection).</summary>
public sealed class ModelFixture : IDisposable
{
    public ModelFixture()
    {
        Store = ModelStore.Open(TestPaths.Models);
        Sessions = new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance);
        Detector = new BlazeFaceDetector(Store, Sessions);
        Vad = new Batch.Audio.SileroVad(Store, Sessions);
    }

    public Batch.Audio.SileroVad Vad { get; }

    public ModelStore Store { get; }

    public SessionFactory Sessions { get; }

    public BlazeFaceDetector Detector { get; }

    public void Dispose()
    {
        Detector.Dispose();
        Vad.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ModelFixture>, ICollectionFixture<GeneratedClips>
{
    public const string Name = "models";
}
