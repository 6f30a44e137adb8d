using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// Which feature extractors produced a set of features, by role (face_detector, face_expression, body_pose,
/// voice_activity, audio_cnn): <c>"&lt;model id&gt; sha256:&lt;hash&gt;"</c>. A fusion model records the identity of
/// its training features; features made by other extractors are refused, because the network's inputs would mean
/// something else.
/// </summary>
public static class ExtractorIdentity
{
    /// <summary>The identity descriptors' model: it decides whose features they are, not what the network reads, so it never makes a mismatch.</summary>
    public const string FaceIdentityRole = "face_identity";

    /// <summary>From an output's metadata (<c>emmanet.model.&lt;role&gt;.id/.sha256</c>).</summary>
    public static SortedDictionary<string, string> FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        const string prefix = OutputMetadata.Prefix + "model.";
        foreach (var (key, id) in metadata)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(".id", StringComparison.Ordinal))
            {
                var role = key[prefix.Length..^".id".Length];
                result[role] = $"{id} sha256:{metadata.GetValueOrDefault($"{prefix}{role}.sha256", "?")}";
            }
        }
        return result;
    }

    public static SortedDictionary<string, string> FromModels(IEnumerable<(string Role, ModelIdentity Model)> models) =>
        new(models.ToDictionary(m => m.Role, m => $"{m.Model.Id} sha256:{m.Model.Sha256}"), StringComparer.Ordinal);

    /// <summary>The first difference between what a model expects and what the features come from, or null when they match.</summary>
    public static string? Mismatch(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual)
    {
        foreach (var role in expected.Keys.Union(actual.Keys).Where(r => r != FaceIdentityRole).Order(StringComparer.Ordinal))
        {
            var want = expected.GetValueOrDefault(role);
            var have = actual.GetValueOrDefault(role);
            if (want != have)
            {
                return $"{role}: the fusion model was trained on features from {want ?? "no such model"}, these come from {have ?? "no such model"}";
            }
        }
        return null;
    }
}
