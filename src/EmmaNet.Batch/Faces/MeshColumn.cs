namespace EmmaNet.Batch.Faces;

/// <summary>
/// One row group's <c>mesh</c> list column as Parquet writes it: every meshed row's points one after another, with a
/// definition and a repetition level per point (repetition 0 for a row's first point, 1 after), and a row without a
/// mesh as one entry at definition 0. The arrays are kept and reused for every row group of the file: made per flush
/// they were 8.6 MB of large-object garbage every 512 meshed rows (a few seconds of a many-face video), which the
/// collector only takes back in full collections.
/// </summary>
internal sealed class MeshColumn(int maxDefinitionLevel)
{
    private float[] _values = [];
    private int[] _definition = [];
    private int[] _repetition = [];
    private int _valueCount;
    private int _levelCount;

    public ReadOnlyMemory<float> Values => _values.AsMemory(0, _valueCount);

    public ReadOnlyMemory<int> Definition => _definition.AsMemory(0, _levelCount);

    public ReadOnlyMemory<int> Repetition => _repetition.AsMemory(0, _levelCount);

    /// <summary>Appends a row: its points, or null for a row without a mesh.</summary>
    public void Add(float[]? points)
    {
        if (points is null)
        {
            Reserve(0, 1);
            (_definition[_levelCount], _repetition[_levelCount]) = (0, 0);
            _levelCount++;
            return;
        }
        Reserve(points.Length, points.Length);
        points.CopyTo(_values, _valueCount);
        _valueCount += points.Length;
        for (var i = 0; i < points.Length; i++, _levelCount++)
        {
            _definition[_levelCount] = maxDefinitionLevel;
            _repetition[_levelCount] = i == 0 ? 0 : 1;
        }
    }

    /// <summary>Empties the column for the next row group, keeping its arrays.</summary>
    public void Clear() => (_valueCount, _levelCount) = (0, 0);

    // Grown by a quarter, not doubled: a group ends a frame's faces after its 512th meshed row, and doubling there
    // would keep arrays twice the size a group needs.
    private void Reserve(int values, int levels)
    {
        if (_valueCount + values > _values.Length)
        {
            Array.Resize(ref _values, Math.Max(_valueCount + values, _values.Length + _values.Length / 4));
        }
        if (_levelCount + levels > _definition.Length)
        {
            var length = Math.Max(_levelCount + levels, _definition.Length + _definition.Length / 4);
            Array.Resize(ref _definition, length);
            Array.Resize(ref _repetition, length);
        }
    }
}
