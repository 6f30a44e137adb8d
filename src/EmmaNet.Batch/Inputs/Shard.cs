using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EmmaNet.Batch.Inputs;

/// <summary>
/// One of <see cref="Count"/> machines' share of a batch (<see cref="Index"/> from 0). A video belongs to the shard
/// given by a hash of its output name, so every shard computes the same split from the same inputs, whatever order
/// it scans them in, and a re-run of a shard takes the same videos.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public static readonly Shard Whole = new(0, 1);

    public bool IsWhole => Count == 1;

    public bool Owns(VideoInput video) => Count == 1 || (int)(HashOf(video.OutputStem) % (ulong)Count) == Index;

    /// <summary>For file names: <c>shard-2-of-8</c>.</summary>
    public override string ToString() => $"shard-{Index}-of-{Count}";

    /// <summary>The first 8 bytes of SHA-256 of the name: stable across machines, runtimes and runs (unlike <c>string.GetHashCode</c>).</summary>
    public static ulong HashOf(string name) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    /// <summary><c>i/n</c> with 0 &lt;= i &lt; n.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || index >= count)
        {
            throw new FormatException($"--shard '{text}': expected i/n with 0 <= i < n, e.g. 0/4");
        }
        return new Shard(index, count);
    }

    /// <summary>
    /// The shard a cluster scheduler gives this process, or null when none is set: a Kubernetes Indexed Job's
    /// <c>JOB_COMPLETION_INDEX</c> with the job's completions in <c>EMMANET_SHARD_COUNT</c> (Kubernetes does not pass
    /// the count to the pod), or a Slurm job array's <c>SLURM_ARRAY_TASK_ID</c> and <c>SLURM_ARRAY_TASK_COUNT</c>
    /// (ids counted from <c>SLURM_ARRAY_TASK_MIN</c>, so <c>--array=1-8</c> works as well as <c>0-7</c>).
    /// </summary>
    public static Shard? FromEnvironment(Func<string, string?> variable)
    {
        int? Int(string name) => variable(name) is { } v && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (Int("JOB_COMPLETION_INDEX") is { } k8sIndex)
        {
            var count = Int("EMMANET_SHARD_COUNT") ?? throw new FormatException("JOB_COMPLETION_INDEX is set but EMMANET_SHARD_COUNT is not: set it to the Job's completions");
            return Checked(k8sIndex, count, "JOB_COMPLETION_INDEX");
        }
        if (Int("SLURM_ARRAY_TASK_ID") is { } taskId)
        {
            var count = Int("SLURM_ARRAY_TASK_COUNT") ?? throw new FormatException("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
            return Checked(taskId - (Int("SLURM_ARRAY_TASK_MIN") ?? 0), count, "SLURM_ARRAY_TASK_ID");
        }
        return null;
    }

    private static Shard Checked(int index, int count, string source) =>
        count >= 1 && index >= 0 && index < count ? new Shard(index, count) : throw new FormatException($"{source}: shard {index} of {count} is out of range");
}
