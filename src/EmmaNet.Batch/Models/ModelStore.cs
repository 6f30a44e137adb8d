using System.Collections.Concurrent;
using System.Security.Cryptography;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models;

/// <summary>
/// Finds model files and checks them against the manifest. Lookup order (first that holds a manifest wins):
/// the explicit folder (<c>--models</c>), the <c>EMMANET_MODELS</c> environment variable, then a <c>models/</c> folder
/// beside the program or in one of its parent folders, then <c>./models</c>.
/// </summary>
public sealed class ModelStore
{
    public const string EnvironmentVariable = "EMMANET_MODELS";
    public const string FetchHint = "run `emmanet models fetch` (or scripts/setup.sh)";

    private readonly ConcurrentDictionary<string, string> _verified = new(StringComparer.Ordinal);

    private ModelStore(string folder, ModelManifest manifest)
    {
        Folder = folder;
        Manifest = manifest;
    }

    public string Folder { get; }

    public ModelManifest Manifest { get; }

    public static ModelStore Open(string? explicitFolder = null)
    {
        var tried = CandidateFolders(explicitFolder).ToList();
        foreach (var folder in tried)
        {
            var manifest = Path.Combine(folder, "manifest.json");
            if (File.Exists(manifest))
            {
                return new ModelStore(folder, ModelManifest.Load(manifest));
            }
        }
        throw new ModelException("no models/manifest.json found; looked in: " + string.Join(", ", tried));
    }

    public static IEnumerable<string> CandidateFolders(string? explicitFolder)
    {
        if (!string.IsNullOrWhiteSpace(explicitFolder))
        {
            yield return Path.GetFullPath(explicitFolder);
            yield break;
        }
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            yield return Path.GetFullPath(fromEnv);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            yield return Path.Combine(dir.FullName, "models");
        }
        yield return Path.GetFullPath("models");
    }

    public string PathOf(ModelEntry entry) => Path.Combine(Folder, entry.File);

    /// <summary>
    /// The verified path of a model: present and matching its manifest checksum, or a <see cref="ModelException"/>
    /// saying what to run. Checked once per store. Its input/output contract is checked on the session that runs it
    /// (<see cref="OnnxModel.FromStore"/>), or by <see cref="Verify"/> without one.
    /// </summary>
    public string Resolve(string id)
    {
        var entry = Manifest.Get(id);
        var path = PathOf(entry);
        if (_verified.TryGetValue(id, out var known))
        {
            return known;
        }
        if (!File.Exists(path))
        {
            throw new ModelException($"model '{id}' is missing: {path} does not exist; {FetchHint}");
        }
        var actual = Sha256Of(path);
        if (!string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelException($"model '{id}' is corrupted: {path} has sha256 {actual}, the manifest expects {entry.Sha256}; run `emmanet models fetch --force`");
        }
        _verified[id] = path;
        return path;
    }

    /// <summary>As <see cref="Resolve"/>, and the model's input/output contract checked on a session of its own (for
    /// <c>doctor</c> and <c>models verify</c>, which run nothing).</summary>
    public string Verify(string id)
    {
        var path = Resolve(id);
        ModelContract.Verify(Manifest.Get(id), path);
        return path;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
