using Parquet;

namespace EmmaNet.Batch.Files;

/// <summary>
/// Parquet.Net compresses each column chunk in buffers from one process-wide pool that, by default, keeps up to 16 MB
/// of small and 64 MB of large free buffers for reuse: over a long run, memory that no table is using. Every writer
/// passes these options, which keep about what one row group of the largest table needs (the face table's mesh column
/// is 2.8 MB per 512 faces, written through 128 KB blocks: with 2 MB kept, the rest of its blocks were new large
/// objects at every row group, 17 MB every two minutes of the many-face sample); buffers returned beyond that are
/// left to the collector.
/// </summary>
public static class ParquetPools
{
    public static ParquetOptions Options { get; } = new()
    {
        MaximumSmallPoolFreeBytes = 4 << 20,
        MaximumLargePoolFreeBytes = 8 << 20,
    };
}
