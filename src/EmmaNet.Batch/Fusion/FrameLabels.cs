using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// The fusion network's reading at one tick of one subject, with the window's layout (its first step and which
/// modalities were present). Stored flat: one byte of presence bits per step and one array of the probabilities and
/// the attention (about 300 bytes at T = 12, against some 900 for the window's and the network's own arrays); a
/// video's wait on disk until its tables are written (<see cref="TickResults"/>), as one float vector each
/// (<see cref="WriteTo"/>, <see cref="ReadFrom"/>).
/// </summary>
public sealed class TickResult
{
    private readonly byte[] _present;   // per step, bit m: modality m present
    private readonly float[] _values;   // the class probabilities, then each modality's attention over the steps
    private readonly int _classes;

    public TickResult(int subject, int tick, long frameIndex, double time, int firstStep, bool[][] present, FusionPrediction prediction)
    {
        (Subject, Tick, FrameIndex, Time, FirstStep, Label) = (subject, tick, frameIndex, time, firstStep, prediction.Label);
        _present = new byte[present.Length];
        for (var s = 0; s < present.Length; s++)
        {
            for (var m = 0; m < present[s].Length; m++)
            {
                _present[s] |= (byte)(present[s][m] ? 1 << m : 0);
            }
        }
        _classes = prediction.Probabilities.Length;
        _values = [.. prediction.Probabilities, .. prediction.Attention.SelectMany(a => a)];
    }

    private TickResult(in RecordHeader header, byte[] present, float[] values)
    {
        (Subject, Tick, FrameIndex, Time, FirstStep, Label, _classes) = (header.Subject, header.Tick, header.FrameIndex, header.Time, header.FirstStep, header.Label, header.Classes);
        (_present, _values) = (present, values);
    }

    /// <summary>The scalars at the head of a result's record, bit for bit (10 floats' worth).</summary>
    private readonly record struct RecordHeader(int Subject, int Tick, long FrameIndex, double Time, int FirstStep, int Label, int Classes, int Steps);

    private static readonly int HeaderFloats = Unsafe.SizeOf<RecordHeader>() / sizeof(float);

    /// <summary>How many floats <see cref="WriteTo"/> writes: the header, the presence bytes (four to a float), the values.</summary>
    public int RecordLength => HeaderFloats + ((_present.Length + 3) / 4) + _values.Length;

    /// <summary>The result as one float vector of <see cref="RecordLength"/> (its integers and doubles bit for bit, not as values).</summary>
    public void WriteTo(Span<float> record)
    {
        record.Clear();
        var bytes = MemoryMarshal.AsBytes(record);
        MemoryMarshal.Write(bytes, new RecordHeader(Subject, Tick, FrameIndex, Time, FirstStep, Label, _classes, _present.Length));
        _present.CopyTo(bytes[(HeaderFloats * sizeof(float))..]);
        _values.CopyTo(record[(RecordLength - _values.Length)..]);
    }

    /// <summary>A result from the vector <see cref="WriteTo"/> made.</summary>
    public static TickResult ReadFrom(ReadOnlySpan<float> record)
    {
        var bytes = MemoryMarshal.AsBytes(record);
        var header = MemoryMarshal.Read<RecordHeader>(bytes);
        var present = bytes.Slice(HeaderFloats * sizeof(float), header.Steps).ToArray();
        var valuesFrom = HeaderFloats + ((header.Steps + 3) / 4);
        return new TickResult(header, present, record[valuesFrom..].ToArray());
    }

    public int Subject { get; }

    public int Tick { get; }

    public long FrameIndex { get; }

    public double Time { get; }

    public int FirstStep { get; }

    /// <summary>The most probable class.</summary>
    public int Label { get; }

    /// <summary>The window's length T.</summary>
    public int Steps => _present.Length;

    public float Probability(int classIndex) => _values[classIndex];

    /// <summary>Modality <paramref name="modality"/>'s attention weight at window step <paramref name="step"/>.</summary>
    public float Attention(int modality, int step) => _values[_classes + (modality * Steps) + step];

    public bool IsPresent(int step, int modality) => (_present[step] & (1 << modality)) != 0;
}

/// <summary>One original video frame's prediction for one subject, and the tick it comes from.</summary>
/// <param name="Filled">The frame's own tick had no face of the subject: the prediction is the nearest tick's that had one.</param>
public sealed record FramePrediction(int Subject, long FrameIndex, TickResult Source, bool Filled);

/// <summary>
/// Spreads tick predictions over the frames of the video (EMMA-NET.md section 1): a frame takes its own tick's
/// prediction (the last face-stream tick at or before it; the first tick for frames before it), and when the subject
/// had no face at that tick, the prediction of the nearest tick that had one (the earlier on a tie). With
/// <c>wholeVideo</c> every subject gets every frame (ABAW needs a label per frame for the person scored); otherwise
/// only the frames from its first seen tick to the end of its last, so a video with many passing people does not
/// get people x frames rows. A subject never seen gets no rows.
/// </summary>
public static class FrameLabels
{
    public static IEnumerable<FramePrediction> Hold(IReadOnlyList<TickFrame> ticks, IReadOnlyList<TickResult> results, long frameCount, bool wholeVideo)
    {
        var frames = frameCount > 0 ? frameCount : ticks[^1].FrameIndex + 1;
        // Where each subject's results lie (12 bytes a result): a result itself is read when a frame takes it, since
        // a long video's may wait on disk (TickResults).
        var index = results.Select((r, i) => (r.Subject, r.Tick, At: i)).ToList();
        foreach (var subject in index.GroupBy(r => r.Subject).OrderBy(g => g.Key))
        {
            var predicted = subject.OrderBy(r => r.Tick).ToArray();
            var predictedTicks = predicted.Select(r => r.Tick).ToArray();
            var (heldAt, held) = (-1, (TickResult?)null);
            TickResult Source(int k)
            {
                if (k != heldAt)
                {
                    (heldAt, held) = (k, results[predicted[k].At]);   // frames in order take each tick's result in a run
                }
                return held!;
            }
            var (from, to) = (0L, frames);
            if (!wholeVideo)
            {
                from = Source(0).FrameIndex;
                var after = ticks.Where(t => t.Tick > predicted[^1].Tick).Select(t => (long?)t.FrameIndex).FirstOrDefault();
                to = after ?? frames;
            }
            var next = 0;
            for (var f = from; f < to; f++)
            {
                while (next + 1 < ticks.Count && ticks[next + 1].FrameIndex <= f)
                {
                    next++;
                }
                var tick = ticks[next].Tick;
                var at = Array.BinarySearch(predictedTicks, tick);
                if (at >= 0)
                {
                    yield return new FramePrediction(subject.Key, f, Source(at), false);
                    continue;
                }
                var later = ~at;
                var nearest = later == 0 ? 0
                    : later == predicted.Length ? predicted.Length - 1
                    : predictedTicks[later] - tick < tick - predictedTicks[later - 1] ? later : later - 1;
                yield return new FramePrediction(subject.Key, f, Source(nearest), true);
            }
        }
    }
}
