using System.Text;

namespace EmmaNet.Batch.Output;

/// <summary>
/// An exclusive lock on an output folder (per shard), so two cron runs never write the same outputs. It is an
/// advisory lock the kernel holds on the open lock file (.NET opens with <see cref="FileShare.None"/> as an
/// <c>flock</c>): a process that dies, even by SIGKILL, releases it, so a stale lock file left behind is simply taken
/// over. The lock file is never deleted (deleting it would let a waiting process lock an unlinked file while a third
/// locks a new one). The owner's pid, host and start time go to a separate <c>.owner</c> file, because the lock file
/// itself cannot be read while it is locked.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;

    private RunLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static string PathFor(string folder, Inputs.Shard shard) =>
        System.IO.Path.Combine(folder, shard.IsWhole ? ".emmanet.lock" : $".emmanet.{shard}.lock");

    /// <summary>Takes the lock, retrying for up to <paramref name="wait"/>; null when another live process still holds it (<paramref name="holder"/> says who).</summary>
    public static async Task<(RunLock? Lock, string Holder)> TryAcquireAsync(string folder, Inputs.Shard shard, TimeSpan wait, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var path = PathFor(folder, shard);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                try
                {
                    File.WriteAllText(path + ".owner", $"pid {Environment.ProcessId} on {Environment.MachineName} since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}", Encoding.UTF8);
                }
                catch (IOException)
                {
                    // Only the message of a blocked run would miss it (a full disk is reported by the outputs).
                }
                return (new RunLock(stream, path), "");
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (IOException)
            {
                return (null, File.Exists(path + ".owner") ? File.ReadAllText(path + ".owner").Trim() : "another process");
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
