namespace EmmaNet.Batch.Output;

/// <summary>
/// A file that becomes visible under its final name only when complete: written as a hidden temp file in the same
/// folder, flushed to disk, then renamed over the final name. Disposing without <see cref="CommitAsync"/> deletes it.
/// </summary>
public sealed class AtomicFile : IAsyncDisposable
{
    private bool _committed;

    public AtomicFile(string finalPath)
    {
        FinalPath = Path.GetFullPath(finalPath);
        var folder = Path.GetDirectoryName(FinalPath)!;
        Directory.CreateDirectory(folder);
        TempPath = Path.Combine(folder, $".{Path.GetFileName(FinalPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
    }

    public string FinalPath { get; }

    public string TempPath { get; }

    public FileStream Stream { get; }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await Stream.FlushAsync(cancellationToken);
        Stream.Flush(flushToDisk: true);
        await Stream.DisposeAsync();
        File.Move(TempPath, FinalPath, overwrite: true);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_committed)
        {
            return;
        }
        await Stream.DisposeAsync();
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
            // Nothing else can be done; the hidden .tmp name keeps it out of every reader's glob.
        }
    }

    /// <summary>Removes temp files a killed run left behind in a folder.</summary>
    public static int DeleteLeftovers(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return 0;
        }
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            File.Delete(file);
            removed++;
        }
        return removed;
    }
}
