using EmmaNet.Batch.Files;
using Parquet.Schema;
using Parquet;

namespace EmmaNet.Batch.Output;

/// <summary>
/// A Parquet table defined column by column: each column is a name and a function of the row. The rows are taken
/// from their sequence one row group (<see cref="RowGroupRows"/>) at a time, so a table made as it is enumerated is
/// never whole in memory; written atomically (temp file, fsync, rename).
/// </summary>
public sealed class ColumnTable<TRow>(IEnumerable<TRow> rows)
{
    public const int RowGroupRows = 16384;

    private readonly List<Field> _fields = new();
    private readonly List<Func<ParquetRowGroupWriter, CancellationToken, Task>> _writers = new();
    private readonly List<TRow> _group = new();

    /// <summary>Rows written, once <see cref="WriteAsync"/> is done.</summary>
    public long Rows { get; private set; }

    public void String(string name, Func<TRow, string> get)
    {
        var field = new DataField<string>(name);
        _fields.Add(field);
        var values = Column(get);
        _writers.Add((g, _) => g.WriteAsync(field, values()));
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
        var values = Column(get);
        _writers.Add((g, ct) => g.WriteAsync<float>(field, (ReadOnlyMemory<float?>)values(), cancellationToken: ct));
    }

    private void Add<T>(DataField<T> field, Func<TRow, T> get)
        where T : struct
    {
        _fields.Add(field);
        var values = Column(get);
        _writers.Add((g, ct) => g.WriteAsync<T>(field, (ReadOnlyMemory<T>)values(), cancellationToken: ct));
    }

    /// <summary>
    /// The column's values over the current row group, in one array per column made at the first row group and
    /// rewritten for each one after: a 16,384-row column is a large object, and a long video's predictions made
    /// hundreds of them (fresh arrays per row group were most of what the end of a 10-minute video allocated).
    /// </summary>
    private Func<ArraySegment<T>> Column<T>(Func<TRow, T> get)
    {
        T[] values = [];
        return () =>
        {
            if (values.Length < _group.Count)
            {
                values = new T[_group.Count];
            }
            for (var i = 0; i < _group.Count; i++)
            {
                values[i] = get(_group[i]);
            }
            return new ArraySegment<T>(values, 0, _group.Count);
        };
    }

    public async Task WriteAsync(string path, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        await using var file = new AtomicFile(path);
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(_fields), file.Stream, ParquetPools.Options, cancellationToken: cancellationToken))
        {
            writer.CustomMetadata = metadata;
            using var source = rows.GetEnumerator();
            Rows = 0;
            // An empty table still gets one (empty) row group, so its schema is readable like any other.
            do
            {
                _group.Clear();
                while (_group.Count < RowGroupRows && source.MoveNext())
                {
                    _group.Add(source.Current);
                }
                if (_group.Count == 0 && Rows > 0)
                {
                    break;
                }
                using var group = writer.CreateRowGroup();
                foreach (var write in _writers)
                {
                    await write(group, cancellationToken);
                }
                Rows += _group.Count;
            }
            while (_group.Count == RowGroupRows);
            _group.Clear();
        }
        await file.CommitAsync(cancellationToken);
    }
}
