namespace EmmaNet.Batch;

/// <summary>The process's peak resident memory (VmHWM from /proc on Linux; the peak working set elsewhere).</summary>
public static class PeakMemory
{
    public static long Bytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        return System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
    }

    public static long MiB() => Bytes() / (1024 * 1024);

    /// <summary>
    /// Starts the peak again from the memory resident now (Linux: "5" into /proc/self/clear_refs), so a later
    /// <see cref="Bytes"/> measures only what follows. False where that is not possible (then the peak goes on).
    /// </summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
