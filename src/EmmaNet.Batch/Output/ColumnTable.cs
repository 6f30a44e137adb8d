using EmmaNet.Batch.Files;
using Parquet.Schema;
using Parquet;

namespace EmmaNet.Batch.Output;

/// <summary>
/// A Parquet table defined column by column over rows held in memory: each column is a name and a function of the
/// row. Written in row groups of <see cref="RowGroupRows"/>, atomically (temp file, fsync, rename).
/// </summary>
public sealed class ColumnTable<TRow>(IReadOnlyList<TRow> rows)
{
    public const int RowGroupRows = 16384;

    private readonly List<Field> _fields = new();
    private readonly List<Func<ParquetRowGroupWriter, int, int, CancellationToken, Task>> _writers = new();

    public void String(string name, Func<TRow, string> get)
    {
        var field = new DataField<string>(name);
        _fields.Add(field);
        _writers.Add((g, start, count, _) => g.WriteAsync(field, Slice(get, start, count)));
    }

    public void Int(string name, Func<TRow, int> get) => Add(new DataField<int>(name), get);

    public void Long(string name, Func<TRow, long> get) => Add(new DataField<long>(name), get);

    public void Double(string name, Func<TRow, double> get) => Add(new DataField<double>(name), get);

    public void Bool(string name, Func<TRow, bool> get) => Add(new DataField<bool>(name), get);

    public void Float(string name, Func<TRow, float> get) => Add(new DataField<float>(name), get);

    public void NullableFloat(string name, Func<TRow, float?> get)
    {
        var field = new DataField<float?>(name);
        _fields.Add(field);
        _writers.Add((g, start, count, ct) => g.WriteAsync<float>(field, Slice(get, start, count), cancellationToken: ct));
    }

    private void Add<T>(DataField<T> field, Func<TRow, T> get)
        where T : struct
    {
        _fields.Add(field);
        _writers.Add((g, start, count, ct) => g.WriteAsync<T>(field, Slice(get, start, count), cancellationToken: ct));
    }

    private T[] Slice<T>(Func<TRow, T> get, int start, int count)
    {
        var values = new T[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = get(rows[start + i]);
        }
        return values;
    }

    public async Task WriteAsync(string path, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        await using var file = new AtomicFile(path);
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(_fields), file.Stream, cancellationToken: cancellationToken))
        {
            writer.CustomMetadata = metadata;
            for (var start = 0; start < rows.Count || start == 0; start += RowGroupRows)
            {
                var count = Math.Min(RowGroupRows, rows.Count - start);
                using var group = writer.CreateRowGroup();
                foreach (var write in _writers)
                {
                    await write(group, start, count, cancellationToken);
                }
                if (rows.Count == 0)
                {
                    break;
                }
            }
        }
        await file.CommitAsync(cancellationToken);
    }
}
