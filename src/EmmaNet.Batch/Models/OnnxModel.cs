using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>
/// One loaded network: its ONNX Runtime session, the RunOptions every call uses, and its identity (id, file, sha256,
/// provider). Every network class holds one and disposes it once; a class whose own checks of the loaded model fail
/// disposes it before rethrowing.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    // Held for the model's lifetime: a RunOptions made inline can be finalized by the GC while Run still uses it (a
    // crash found in the test suite).
    private readonly RunOptions _runOptions;

    private OnnxModel(InferenceSession session, ModelIdentity identity)
    {
        _session = session;
        _runOptions = new RunOptions();
        Identity = identity;
    }

    public ModelIdentity Identity { get; }

    public string Path { get; private init; } = "";

    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => _session.InputMetadata;

    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata => _session.OutputMetadata;

    public IReadOnlyList<string> InputNames => _session.InputNames;

    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>The model's key-value metadata (nominal input sizes, the fusion network's settings).</summary>
    public IReadOnlyDictionary<string, string> CustomMetadata => _session.ModelMetadata.CustomMetadataMap;

    /// <summary>A model of the manifest, by id (its sha256 is the manifest's), its contract checked on this session
    /// (a second session only to read the inputs and outputs made each start 0.3 s longer).</summary>
    /// <exception cref="ModelException">The model is missing, corrupted or breaks its contract.</exception>
    /// <remarks>On the CPU it runs from its optimised copy (<see cref="SessionFactory.Create"/>).</remarks>
    public static OnnxModel FromStore(ModelStore models, string id, SessionFactory sessions)
    {
        var path = models.Resolve(id);
        var entry = models.Manifest.Get(id);
        return Open(path, id, entry.Sha256, sessions, keepOptimised: true, session => ModelContract.Check(entry, path, session));
    }

    /// <summary>A model file given by the user, identified by <paramref name="id"/> and its own sha256.</summary>
    /// <param name="keepOptimised">Run it on the CPU from an optimised copy kept for the next start (a user's CNN);
    /// false for a network trained anew here (the fusion network), whose copies would pile up.</param>
    public static OnnxModel FromFile(string path, string id, SessionFactory sessions, bool keepOptimised) =>
        Open(path, id, ModelStore.Sha256Of(path), sessions, keepOptimised);

    private static OnnxModel Open(string path, string id, string sha256, SessionFactory sessions, bool keepOptimised, Action<InferenceSession>? check = null)
    {
        var (session, provider) = sessions.Create(path, keepOptimised ? sha256 : null);
        try
        {
            check?.Invoke(session);
            return new OnnxModel(session, new ModelIdentity(id, System.IO.Path.GetFileName(path), sha256, provider)) { Path = path };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, IReadOnlyCollection<string> outputNames) =>
        _session.Run(_runOptions, inputNames, inputs, outputNames);

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
