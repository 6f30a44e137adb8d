namespace EmmaNet.Batch.Pipeline;

/// <summary>Things owned together (models loaded together, a video's feature sources), disposed together in reverse order of adding.</summary>
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
