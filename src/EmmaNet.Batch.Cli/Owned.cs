namespace EmmaNet.Batch.Cli;

/// <summary>The models a command loads, disposed together when it ends (in reverse order of loading).</summary>
internal sealed class Owned : IDisposable
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
