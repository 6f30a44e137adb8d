using EmmaNet.Batch.Audio;

namespace EmmaNet.Batch.Fusion;

/// <summary>A fusion input built for one subject at one face tick, with where it stands in the video.</summary>
public sealed record TickWindow(int Subject, int Tick, long FrameIndex, double Time, int FirstStep, FusionWindow Window);

/// <summary>
/// Builds fusion windows from a video's features: for every face tick of a subject where the face is present, f_c is
/// the tick's face feature and the sequences are the T steps centred on the tick (steps k0 - T/2 .. k0 + T/2 - 1,
/// k0 the step nearest the tick), absent beyond the video's ends. Windows are made one at a time, so a long video
/// never holds all of them.
/// </summary>
public static class FeatureWindows
{
    public static IEnumerable<TickWindow> Build(FeatureSeries series, int steps)
    {
        foreach (var tick in series.Ticks)
        {
            if (series.Steps.ContainsKey(tick.Subject))
            {
                yield return At(series, tick, steps);
            }
        }
    }

    /// <summary>The window of one tick whose face is present.</summary>
    public static TickWindow At(FeatureSeries series, TickInput tick, int steps)
    {
        var rows = series.Steps[tick.Subject];
        var first = FirstStep(tick, steps);
        var face = new double[steps][];
        var audio = new double[steps][];
        var pose = new double[steps][];
        var present = new bool[steps][];
        var (faceSize, audioSize, poseSize) = Sizes(rows);
        for (var t = 0; t < steps; t++)
        {
            if (rows.TryGetValue(first + t, out var row))
            {
                (face[t], audio[t], pose[t]) = (ToDouble(row.Face), ToDouble(row.Audio), ToDouble(row.Pose));
                present[t] = [row.FacePresent, row.AudioPresent, row.PosePresent];
            }
            else
            {
                (face[t], audio[t], pose[t]) = (new double[faceSize], new double[audioSize], new double[poseSize]);
                present[t] = [false, false, false];
            }
        }
        return new TickWindow(tick.Subject, tick.Tick, tick.FrameIndex, tick.Time, first, new FusionWindow(face, audio, pose, ToDouble(tick.Face), present));
    }

    /// <summary>The window's first step: k0 - T/2, k0 the step nearest the tick.</summary>
    public static int FirstStep(TickInput tick, int steps) => (int)Math.Round(tick.Time / AudioTimeline.StepSeconds) - (steps / 2);

    /// <summary>The window of one tick straight into a batch slot (float32, no <see cref="FusionWindow"/> made): what training reads.</summary>
    public static void CopyTo(FeatureSeries series, TickInput tick, Batched.WindowBatch batch, int slot)
    {
        var rows = series.Steps[tick.Subject];
        var first = FirstStep(tick, batch.Steps);
        for (var t = 0; t < batch.Steps; t++)
        {
            var face = batch.FaceStep(slot, t);
            var audio = batch.AudioStep(slot, t);
            var pose = batch.PoseStep(slot, t);
            if (rows.TryGetValue(first + t, out var row))
            {
                row.Face.CopyTo(face);
                row.Audio.CopyTo(audio);
                row.Pose.CopyTo(pose);
                batch.SetPresent(slot, t, row.FacePresent, row.AudioPresent, row.PosePresent);
            }
            else
            {
                face.Clear();
                audio.Clear();
                pose.Clear();
                batch.SetPresent(slot, t, false, false, false);
            }
        }
        tick.Face.CopyTo(batch.FaceNowOf(slot));
    }

    /// <summary>Reads <c>extract</c>'s tables of one video and builds every window.</summary>
    public static async Task<List<TickWindow>> LoadAsync(string stepsPath, string ticksPath, int steps, CancellationToken cancellationToken) =>
        Build(await FeatureSeries.ReadAsync(stepsPath, ticksPath, cancellationToken), steps).ToList();

    private static (int Face, int Audio, int Pose) Sizes(Dictionary<int, StepInput> rows)
    {
        var any = rows.Values.First();
        return (any.Face.Length, any.Audio.Length, any.Pose.Length);
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);
}
