namespace EmmaNet.Batch.Pipeline;

/// <summary>Models loaded together, disposed together (in reverse order of loading).</summary>
public sealed class Owned : IDisposable
{
    private readonly List<IDisposable> _items = new();

    public T Add<T>(T item)
        where T : IDisposable
    {
        _items.Add(item);
        return item;
    }

    public void Dispose()
    {
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            _items[i].Dispose();
        }
    }
}
