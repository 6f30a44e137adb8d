using System.Diagnostics;

namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Hardware video decoding through ffmpeg's <c>-hwaccel</c>. ffmpeg stops with an error when the device is missing,
/// so the choice is checked once before a run (never a silent fall back to the CPU): it either works for every video
/// or the run does not start.
/// </summary>
public static class HardwareDecoding
{
    /// <summary>Null when ffmpeg can open a <paramref name="method"/> device here; otherwise ffmpeg's reason.</summary>
    public static string? Check(string method)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-hide_banner", "-nostdin", "-v", "error", "-init_hw_device", method, "-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-f", "null", "-" })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode == 0)
        {
            return null;
        }
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? $"ffmpeg exited with {process.ExitCode}" : string.Join("; ", lines.Take(2));
    }
}
