namespace EmmaNet.Batch.Decoding;

/// <summary>
/// Hardware video decoding through ffmpeg's <c>-hwaccel</c>. ffmpeg stops with an error when the device is missing,
/// so the choice is checked once before a run (never a silent fall back to the CPU): it either works for every video
/// or the run does not start.
/// </summary>
public static class HardwareDecoding
{
    /// <summary>Null when ffmpeg can open a <paramref name="method"/> device here; otherwise the reason (ffmpeg's, or that ffmpeg is missing or hung).</summary>
    public static string? Check(string method)
    {
        Processes.ProgramResult result;
        try
        {
            result = Processes.ExternalProgram.Run("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-init_hw_device", method, "-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-f", "null", "-"], TimeSpan.FromSeconds(30));
        }
        catch (Processes.ProgramException ex)
        {
            return ex.Message;
        }
        if (result.ExitCode == 0)
        {
            return null;
        }
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? $"ffmpeg exited with {result.ExitCode}" : string.Join("; ", lines.Take(2));
    }
}
