using System.Collections;
using EmmaNet.Batch.Files;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// A video's tick predictions, in the order they were made, waiting in a <see cref="VectorSpill"/> on disk until its
/// tables are written: about 300 bytes a tick, 12 MB for 30 minutes of the many-face sample, that would otherwise sit
/// in memory from fusion to writing. In memory only where each lies; a result is read back when reached (a new
/// object each time).
/// </summary>
/// <param name="folder">Where the results wait (a hidden temp file, deleted when disposed).</param>
/// <param name="stem">The video's output stem, in the temp file's name.</param>
public sealed class TickResults(string folder, string stem) : IReadOnlyList<TickResult>, IDisposable
{
    private readonly VectorSpill _spill = new(folder, stem + ".ticks");
    private readonly List<VectorSpill.Place> _places = new();
    private float[] _record = [];

    public int Count => _places.Count;

    public TickResult this[int index] => TickResult.ReadFrom(_spill.Read(_places[index]));

    /// <exception cref="IOException">The temp file cannot be written (naming it and why).</exception>
    public void Add(TickResult result)
    {
        if (_record.Length < result.RecordLength)
        {
            _record = new float[result.RecordLength];
        }
        var record = _record.AsSpan(0, result.RecordLength);
        result.WriteTo(record);
        _places.Add(_spill.Write(record));
    }

    public IEnumerator<TickResult> GetEnumerator()
    {
        for (var i = 0; i < _places.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => _spill.Dispose();
}
