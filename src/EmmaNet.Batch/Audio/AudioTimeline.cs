namespace EmmaNet.Batch.Audio;

/// <summary>
/// The 2 Hz audio/pose steps (EMMA-NET.md section 1): step k at k * 0.5 s, inside the video;
/// its audio window is the 1 s centred on it, [t - 0.5, t + 0.5), zero beyond the ends of the audio.
/// </summary>
public static class AudioTimeline
{
    public const double StepSeconds = 0.5;
    public const double WindowSeconds = 1.0;

    public static int StepCount(double durationSeconds) => durationSeconds <= 0 ? 0 : (int)Math.Ceiling((durationSeconds / StepSeconds) - 1e-9);

    public static double StepTime(int step) => step * StepSeconds;

    /// <summary>First sample of step <paramref name="step"/>'s window (negative at the start: zeros before the audio).</summary>
    public static long WindowStart(int step, int sampleRate) => (long)Math.Round((StepTime(step) - (WindowSeconds / 2)) * sampleRate);

    public static int WindowSamples(int sampleRate) => (int)Math.Round(WindowSeconds * sampleRate);
}
