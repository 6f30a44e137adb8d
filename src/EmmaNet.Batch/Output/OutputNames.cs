using EmmaNet.Batch.Inputs;
using Parquet;

namespace EmmaNet.Batch.Output;

/// <summary>
/// Output names that belong to one input for good: an input keeps its readable stem unless another input already
/// holds it, in this run or by outputs in the folder (their metadata names the file they were made from); then it
/// takes the stem with a short hash of its full path. Once written, a name stays with its input in later runs.
/// </summary>
public static class OutputNames
{
    /// <param name="outputsOf">Every output any run writes for a stem (any of them tells whose the stem is).</param>
    public static async Task<IReadOnlyList<VideoInput>> ResolveAsync(IReadOnlyList<VideoInput> videos, Func<string, IEnumerable<string>> outputsOf, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<VideoInput, VideoInput>();
        foreach (var group in videos.GroupBy(v => v.OutputStem, StringComparer.Ordinal))
        {
            var members = group.ToList();
            var owner = await OwnerAsync(outputsOf(group.Key), cancellationToken);
            var readable = owner is not null
                ? members.FirstOrDefault(m => Full(m.Path) == owner)
                : members.OrderBy(m => Full(m.Path), StringComparer.Ordinal).First();
            foreach (var member in members)
            {
                var hashed = InputScanner.HashedStem(group.Key, member.Path);
                // An input that already has outputs under its hashed name keeps them.
                var keepReadable = ReferenceEquals(member, readable) && await OwnerAsync(outputsOf(hashed), cancellationToken) is null;
                resolved[member] = member with { OutputStem = keepReadable ? group.Key : hashed };
            }
        }
        return videos.Select(v => resolved[v]).ToList();
    }

    /// <summary>The full path of the input the first existing of <paramref name="outputs"/> was made from, or null when none exists.</summary>
    public static async Task<string?> OwnerAsync(IEnumerable<string> outputs, CancellationToken cancellationToken)
    {
        foreach (var path in outputs)
        {
            if (!File.Exists(path))
            {
                continue;
            }
            try
            {
                await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
                var metadata = reader.CustomMetadata;
                if (metadata.TryGetValue(OutputMetadata.Prefix + "input.path", out var input) || metadata.TryGetValue(OutputMetadata.Prefix + "video_path", out input))
                {
                    return Full(input);
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ParquetException or InvalidOperationException or ArgumentException)
            {
                // An unreadable output says nothing about its owner; the next may.
            }
        }
        return null;
    }

    private static string Full(string path) => Path.GetFullPath(path);
}
