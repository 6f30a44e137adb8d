using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using Parquet;

namespace EmmaNet.Batch.Output;

/// <summary>
/// What an output must have been made from to count as this run's result: the input (path, size, time, content
/// fingerprint), every model it depends on (by role and sha256) and, for per-subject outputs, the subject choice.
/// An existing output is skipped only when it is complete and all of these match; otherwise the reason is said.
/// </summary>
public sealed class OutputIdentity
{
    private readonly List<KeyValuePair<string, string>> _entries = [];

    public OutputIdentity(InputFingerprint input, IEnumerable<(string Role, ModelIdentity Model)> models, string? subjectChoice = null)
    {
        _entries.AddRange(input.Entries());
        foreach (var (role, model) in models)
        {
            _entries.Add(new($"model.{role}.sha256", model.Sha256));
        }
        if (subjectChoice is not null)
        {
            _entries.Add(new("subject_choice", subjectChoice));
        }
    }

    /// <summary>Null when <paramref name="path"/> is a complete output of <paramref name="schema"/> made from this identity; else why not.</summary>
    public async Task<string?> StaleReasonAsync(string path, string schema, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return "missing";
        }
        Dictionary<string, string> metadata;
        try
        {
            await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
            metadata = reader.CustomMetadata;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ParquetException or InvalidOperationException or ArgumentException)
        {
            return $"{Path.GetFileName(path)} is not a complete Parquet file";
        }
        if (!metadata.TryGetValue(OutputMetadata.Prefix + "schema", out var found) || found != schema)
        {
            return $"{Path.GetFileName(path)} has schema {found ?? "none"}, not {schema}";
        }
        foreach (var (key, expected) in _entries)
        {
            if (!metadata.TryGetValue(OutputMetadata.Prefix + key, out var recorded))
            {
                return $"{Path.GetFileName(path)} does not record its {key} (made by an older version)";
            }
            if (recorded != expected)
            {
                return key switch
                {
                    "input.path" => $"{Path.GetFileName(path)} was made from {recorded}, not this file",
                    "input.size" => $"the input changed since (size {recorded} -> {expected} bytes)",
                    "input.modified_utc" => $"the input changed since (modified {recorded} -> {expected})",
                    "input.fingerprint" => "the input's content changed since",
                    "subject_choice" => $"it holds subject choice '{recorded}', this run asks for '{expected}'",
                    _ => $"it was made with another {key[6..^7]} model (sha256 {recorded[..Math.Min(12, recorded.Length)]}, now {expected[..Math.Min(12, expected.Length)]})",
                };
            }
        }
        return null;
    }

    /// <summary>Adds the identity to an output's metadata.</summary>
    public void AddTo(IDictionary<string, string> metadata)
    {
        foreach (var (key, value) in _entries)
        {
            metadata[OutputMetadata.Prefix + key] = value;
        }
    }
}
