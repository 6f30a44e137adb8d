using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Models;

public sealed class ModelStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    /// <param name="editManifest">Applied to the manifest's text before the store opens it.</param>
    private ModelStore CopyOfStore(bool withModels, Func<string, string>? editManifest = null)
    {
        var manifest = File.ReadAllText(Path.Combine(TestPaths.Models, "manifest.json"));
        File.WriteAllText(_temp.File("manifest.json"), editManifest is null ? manifest : editManifest(manifest));
        var store = ModelStore.Open(_temp.Path);
        if (withModels)
        {
            var file = store.Manifest.Get("blazeface-back-256").File;
            Directory.CreateDirectory(Path.GetDirectoryName(_temp.File(file))!);
            File.Copy(Path.Combine(TestPaths.Models, file), _temp.File(file));
        }
        return store;
    }

    [Fact]
    public void A_missing_model_says_where_it_looked_and_what_to_run()
    {
        var store = CopyOfStore(withModels: false);
        var ex = Assert.Throws<ModelException>(() => store.Resolve("blazeface-back-256"));
        Assert.Contains(store.PathOf(store.Manifest.Get("blazeface-back-256")), ex.Message, StringComparison.Ordinal);
        Assert.Contains("emmanet models fetch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupted_model_fails_its_checksum()
    {
        var store = CopyOfStore(withModels: true);
        var path = store.PathOf(store.Manifest.Get("blazeface-back-256"));
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<ModelException>(() => store.Resolve("blazeface-back-256"));
        Assert.Contains("is corrupted", ex.Message, StringComparison.Ordinal);
        Assert.Contains("models fetch --force", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_model_resolves_and_an_unknown_id_is_named()
    {
        var store = CopyOfStore(withModels: true);
        Assert.True(File.Exists(store.Resolve("blazeface-back-256")));
        Assert.Contains("'nope'", Assert.Throws<ModelException>(() => store.Resolve("nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_breaking_its_manifest_contract_is_refused_on_the_session_that_would_run_it()
    {
        // The file is intact (its checksum holds); the manifest's contract names an input the network does not have.
        var store = CopyOfStore(withModels: true, m => m.Replace("\"input:0\"", "\"pixels\"", StringComparison.Ordinal));
        Assert.True(File.Exists(store.Resolve("blazeface-back-256")));
        var sessions = new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance);
        var loading = Assert.Throws<ModelException>(() => OnnxModel.FromStore(store, "blazeface-back-256", sessions));
        Assert.Contains("breaks its contract: no input 'pixels' (has input:0)", loading.Message, StringComparison.Ordinal);
        Assert.Contains("breaks its contract", Assert.Throws<ModelException>(() => store.Verify("blazeface-back-256")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_explicit_folder_comes_first_then_the_environment_variable()
    {
        Assert.Equal([Path.GetFullPath("/x/models")], ModelStore.CandidateFolders("/x/models"));
        var previous = Environment.GetEnvironmentVariable(ModelStore.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ModelStore.EnvironmentVariable, "/from/env");
            Assert.Equal("/from/env", ModelStore.CandidateFolders(null).First());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ModelStore.EnvironmentVariable, previous);
        }
    }

    public void Dispose() => _temp.Dispose();
}
