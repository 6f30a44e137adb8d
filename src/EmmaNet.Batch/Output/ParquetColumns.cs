using Parquet;
using Parquet.Schema;

namespace EmmaNet.Batch.Output;

/// <summary>Reads one of our own Parquet outputs back whole: every numeric or boolean column as nullable doubles (booleans 0/1), and the key-value metadata.</summary>
public static class ParquetColumns
{
    private static readonly Type[] Numeric = [typeof(float), typeof(double), typeof(int), typeof(long), typeof(bool)];

    /// <summary>A missing file or one whose <c>emmanet.schema</c> is not <paramref name="schema"/> is an error naming the file and <paramref name="what"/> it should be.</summary>
    /// <param name="only">Read only these columns (null: every numeric or boolean column).</param>
    public static async Task<(Dictionary<string, double?[]> Columns, Dictionary<string, string> Metadata)> ReadAsync(string path, string schema, string what, CancellationToken cancellationToken, IReadOnlySet<string>? only = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: not found (expected {what})", path);
        }
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidDataException($"{path}: not a readable Parquet file ({ex.Message})", ex);
        }
        await using var owned = reader;
        Dictionary<string, string> metadata;
        DataField[] fields;
        try
        {
            metadata = new Dictionary<string, string>(reader.CustomMetadata, StringComparer.Ordinal);
            fields = reader.Schema.GetDataFields().Where(f => Numeric.Contains(f.ClrType) && (only is null || only.Contains(f.Name))).ToArray();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidDataException($"{path}: damaged Parquet footer ({ex.GetType().Name}: {ex.Message})", ex);
        }
        if (!metadata.TryGetValue(OutputMetadata.Prefix + "schema", out var found) || found != schema)
        {
            throw new InvalidDataException($"{path}: not {what} (schema '{found}', expected '{schema}')");
        }
        var columns = new Dictionary<string, List<double?>>(StringComparer.Ordinal);
        foreach (var f in fields)
        {
            columns.TryAdd(f.Name, new List<double?>());
        }
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            foreach (var field in fields)
            {
                try
                {
                    using var group = reader.OpenRowGroupReader(g);
                    columns[field.Name].AddRange(await ReadColumn(group, field, checked((int)group.RowCount), cancellationToken));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Damaged pages surface as whatever the decoder trips on (offsets, lengths, decompression).
                    throw new InvalidDataException($"{path}: damaged Parquet data in column '{field.Name}', row group {g} ({ex.GetType().Name}: {ex.Message})", ex);
                }
            }
        }
        return (columns.ToDictionary(c => c.Key, c => c.Value.ToArray(), StringComparer.Ordinal), metadata);
    }

    /// <summary>A column every row of which must be there; its absence, a length other than the table's, or a null is an error naming the file and the column.</summary>
    public static double[] Required(Dictionary<string, double?[]> table, string column, string path, int? rows = null)
    {
        if (!table.TryGetValue(column, out var values))
        {
            throw new InvalidDataException($"{path}: column '{column}' is missing");
        }
        if (rows is { } n && values.Length != n)
        {
            throw new InvalidDataException($"{path}: column '{column}' has {values.Length} rows, the table {n}");
        }
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i] ?? throw new InvalidDataException($"{path}: column '{column}' is empty at row {i}");
        }
        return result;
    }

    private static Task<double?[]> ReadColumn(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken) =>
        field.ClrType == typeof(float) ? Read<float>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(double) ? Read<double>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(int) ? Read<int>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(long) ? Read<long>(group, field, count, v => v, cancellationToken)
        : Read<bool>(group, field, count, v => v ? 1 : 0, cancellationToken);

    /// <summary>Reads one column with the overload that matches its nullability (a required column read as nullable comes back incomplete).</summary>
    private static async Task<double?[]> Read<T>(ParquetRowGroupReader group, DataField field, int count, Func<T, double> convert, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[count];
            await group.ReadAsync<T>(field, nullable, cancellationToken: cancellationToken);
            return nullable.Select(v => v is null ? (double?)null : convert(v.Value)).ToArray();
        }
        var values = new T[count];
        await group.ReadAsync<T>(field, values, cancellationToken: cancellationToken);
        return values.Select(v => (double?)convert(v)).ToArray();
    }
}
