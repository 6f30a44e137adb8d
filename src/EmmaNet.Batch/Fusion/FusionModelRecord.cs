using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// The sha256 a trained fusion model had when `train` wrote it, kept beside it (<c>model.onnx.sha256</c>, in
/// sha256sum's format): the default model is not in the manifest (it is trained at setup, not fetched), so this is
/// what `models verify` and every load hold it to. A model with a record is checked whenever it loads.
/// </summary>
public static class FusionModelRecord
{
    public static string PathFor(string modelPath) => modelPath + ".sha256";

    /// <summary>Records the model's sha256 beside it (after it is written); returns the hash.</summary>
    public static async Task<string> WriteAsync(string modelPath, CancellationToken cancellationToken)
    {
        var sha = ModelStore.Sha256Of(modelPath);
        await Files.AtomicFile.WriteAllTextAsync(PathFor(modelPath), $"{sha}  {Path.GetFileName(modelPath)}\n", cancellationToken);
        return sha;
    }

    /// <summary>
    /// Throws a <see cref="ModelException"/> naming the file when its record exists and differs, or when
    /// <paramref name="required"/> and there is none.
    /// </summary>
    public static void Verify(string modelPath, bool required, string remedy)
    {
        var record = PathFor(modelPath);
        if (!File.Exists(record))
        {
            if (required)
            {
                throw new ModelException($"{modelPath}: no recorded sha256 ({record} is missing), so it cannot be checked; {remedy}");
            }
            return;
        }
        var recorded = File.ReadAllText(record).Split(' ', 2)[0].Trim();
        var actual = ModelStore.Sha256Of(modelPath);
        if (!string.Equals(recorded, actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelException($"{modelPath} is corrupted: sha256 {actual[..12]}..., recorded {recorded[..Math.Min(12, recorded.Length)]}... when it was trained ({record}); {remedy}");
        }
    }
}
