using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace EmmaNet.Batch;

/// <summary>
/// CPU seconds spent per named piece of work, summed over every thread that does it: the calling thread's own CPU
/// time (Linux's CLOCK_THREAD_CPUTIME_ID) around synchronous sections, so a section that waits for a core is not
/// charged for the wait. Where the thread clock is missing, wall time stands in. For <c>bench</c>'s "where the time
/// goes"; cheap enough (two clock reads a section) to stay on.
/// </summary>
public sealed partial class CpuMeter
{
    private readonly ConcurrentDictionary<string, double> _seconds = new(StringComparer.Ordinal);

    /// <summary>The seconds so far, by piece of work.</summary>
    public IReadOnlyDictionary<string, double> Seconds => _seconds.ToDictionary(kv => kv.Key, kv => kv.Value);

    public void Reset() => _seconds.Clear();

    /// <summary>Charges the synchronous section until the returned value is disposed to <paramref name="work"/>.</summary>
    public Section Measure(string work) => new(this, work, ThreadSeconds());

    // Static lambdas with the seconds as their argument: no closure allocated on a per-frame path.
    private void Add(string work, double seconds) => _seconds.AddOrUpdate(work, static (_, add) => add, static (_, sum, add) => sum + add, seconds);

    public readonly struct Section(CpuMeter meter, string work, double start) : IDisposable
    {
        public void Dispose() => meter.Add(work, ThreadSeconds() - start);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private const int ThreadCpuClock = 3;   // CLOCK_THREAD_CPUTIME_ID

    private static bool _noThreadClock = !OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private static double ThreadSeconds()
    {
        if (!_noThreadClock)
        {
            try
            {
                if (ClockGetTime(ThreadCpuClock, out var t) == 0)
                {
                    return t.Seconds + (t.Nanoseconds / 1e9);
                }
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
            }
            _noThreadClock = true;
        }
        return System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;
    }
}
