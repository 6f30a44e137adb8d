using System.Collections.Concurrent;

namespace EmmaNet.Batch.Files;

/// <summary>
/// One long-lived thread that starts a large list column's write. Parquet.Net encodes the column's levels, in the
/// synchronous start of the write, into a buffer rented from the shared array pool (4 MB for the faces file's 512
/// meshes), and the pool keeps a returned buffer in the returning thread's own slot. Started on whichever pool thread
/// a row group ran on, each mesh chunk found no buffer there and made a new one, dropped a minute later: 4-8 MB of
/// large-object garbage every row group, most of what the collector's heap held dead (docs/benchmarks.md). Started
/// here, every chunk finds the buffer the last one returned.
/// </summary>
internal static class ParquetLevelsThread
{
    private static readonly BlockingCollection<Action> Starts = StartThread();

    /// <summary>Calls <paramref name="write"/> on the thread and returns what it returns (its rest runs wherever it continues).</summary>
    public static Task RunAsync(Func<Task> write)
    {
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        Starts.Add(() =>
        {
            try
            {
                started.SetResult(write());
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        });
        return started.Task.Unwrap();
    }

    private static BlockingCollection<Action> StartThread()
    {
        var starts = new BlockingCollection<Action>();
        new Thread(() =>
        {
            foreach (var start in starts.GetConsumingEnumerable())
            {
                start();
            }
        })
        { IsBackground = true, Name = "parquet-levels" }.Start();
        return starts;
    }
}
