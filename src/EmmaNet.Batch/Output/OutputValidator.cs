using Parquet;

namespace EmmaNet.Batch.Output;

/// <summary>Checks that an existing output is a complete Parquet file of the expected schema (its footer is read, not assumed).</summary>
public static class OutputValidator
{
    public static async Task<bool> IsCompleteAsync(string path, string schema, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
            return reader.CustomMetadata.TryGetValue(OutputMetadata.Prefix + "schema", out var found) && found == schema;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ParquetException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
