namespace EmmaNet.Batch.Files;

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
        TempPath = Path.Combine(folder, TempName(Path.GetFileName(FinalPath), Environment.ProcessId, Guid.NewGuid()));
        Stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
    }

    public string FinalPath { get; }

    /// <summary>
    /// The hidden temp name for a final name: <c>.name.host.pid.guid.tmp</c>, the final name cut (whole characters)
    /// so the whole stays within the 255 bytes file systems allow, whatever the name, host or pid.
    /// </summary>
    public static string TempName(string finalName, int processId, Guid id)
    {
        const int MaxBytes = 255;
        var tail = $".{Host}.{processId}.{id:N}.tmp";
        return "." + FileNames.CutToBytes(finalName, MaxBytes - 1 - System.Text.Encoding.UTF8.GetByteCount(tail)) + tail;
    }

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
        try
        {
            await Stream.DisposeAsync();
        }
        catch (IOException)
        {
            // Flushing what was buffered failed (a full disk): the file is abandoned anyway.
        }
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
            // Nothing else can be done; the hidden .tmp name keeps it out of every reader's glob.
        }
    }

    /// <summary>Writes a whole file atomically (reports, submissions, pictures).</summary>
    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await using var file = new AtomicFile(path);
        await file.Stream.WriteAsync(bytes, cancellationToken);
        await file.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// For a writer that takes a path, not a stream (a native library): <paramref name="write"/> writes the temp file,
    /// which is then flushed to disk and renamed over <paramref name="path"/>, or deleted if <paramref name="write"/> throws.
    /// </summary>
    public static void WriteByPath(string path, Action<string> write)
    {
        var finalPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(finalPath)!;
        Directory.CreateDirectory(folder);
        var tempPath = Path.Combine(folder, TempName(Path.GetFileName(finalPath), Environment.ProcessId, Guid.NewGuid()));
        try
        {
            write(tempPath);
            using (var written = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite))
            {
                written.Flush(flushToDisk: true);
            }
            File.Move(tempPath, finalPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);   // no exception when it was never written
            throw;
        }
    }

    /// <summary>Writes a whole text file (UTF-8, no byte-order mark) atomically.</summary>
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken) =>
        WriteAllBytesAsync(path, System.Text.Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>This machine's name as it appears in temp file names (dots replaced, so names split cleanly).</summary>
    // At most 64 bytes, as Linux host names are; dots replaced so the name's parts split cleanly.
    public static string Host { get; } = new string(Environment.MachineName.Replace('.', '_').Take(64).ToArray());

    /// <summary>How old another machine's temp file must be before it counts as left behind.</summary>
    public static readonly TimeSpan ForeignLeftoverAge = TimeSpan.FromDays(1);

    /// <summary>
    /// Removes temp files a killed run left behind in a folder: those of this machine whose process is gone, and those
    /// of other machines (shards sharing the folder) untouched for a day. A live run's temp files are never touched,
    /// so shards of one batch can share an output folder.
    /// </summary>
    public static int DeleteLeftovers(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return 0;
        }
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var parts = Path.GetFileName(file).Split('.');
            var ours = parts.Length >= 5 && parts[^4] == Host;
            var dead = ours
                ? !int.TryParse(parts[^3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) || !IsRunning(pid)
                : DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > ForeignLeftoverAge;
            if (dead)
            {
                File.Delete(file);
                removed++;
            }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
