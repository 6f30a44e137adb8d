namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>Windows that copy their features straight into a batch (float32 views of held features), without building <see cref="FusionWindow"/>s.</summary>
public interface IBatchWindows
{
    void CopyTo(int index, WindowBatch batch, int slot);
}

/// <summary>
/// The inputs of B windows in float32: face, audio and pose sequences time-major (row <c>t * B + b</c>), the current
/// faces [B, D_f] and the presence mask [B, T, 3].
/// </summary>
public sealed class WindowBatch(FusionConfig config)
{
    private float[] _face = [];
    private float[] _audio = [];
    private float[] _pose = [];
    private float[] _faceNow = [];
    private bool[] _present = [];

    public FusionConfig Config { get; } = config;

    public int Count { get; private set; }

    public int Steps => Config.Steps;

    public ReadOnlySpan<float> Face => _face.AsSpan(0, Steps * Count * Config.FaceSize);

    public ReadOnlySpan<float> Audio => _audio.AsSpan(0, Steps * Count * Config.AudioSize);

    public ReadOnlySpan<float> Pose => _pose.AsSpan(0, Steps * Count * Config.PoseSize);

    public ReadOnlySpan<float> FaceNow => _faceNow.AsSpan(0, Count * Config.FaceSize);

    /// <summary>Modality m's sequence: 0 face, 1 audio, 2 pose.</summary>
    public ReadOnlySpan<float> Sequence(int m) => m switch { 0 => Face, 1 => Audio, _ => Pose };

    /// <summary>Empties the batch and sizes it for <paramref name="count"/> windows (the time-major layout needs B up front).</summary>
    public void Reset(int count)
    {
        Count = count;
        var c = Config;
        Grow(ref _face, c.Steps * count * c.FaceSize);
        Grow(ref _audio, c.Steps * count * c.AudioSize);
        Grow(ref _pose, c.Steps * count * c.PoseSize);
        Grow(ref _faceNow, count * c.FaceSize);
        if (_present.Length < count * c.Steps * 3)
        {
            _present = new bool[count * c.Steps * 3];
        }
        Array.Clear(_present, 0, count * c.Steps * 3);
    }

    public Span<float> FaceStep(int slot, int t) => _face.AsSpan(((t * Count) + slot) * Config.FaceSize, Config.FaceSize);

    public Span<float> AudioStep(int slot, int t) => _audio.AsSpan(((t * Count) + slot) * Config.AudioSize, Config.AudioSize);

    public Span<float> PoseStep(int slot, int t) => _pose.AsSpan(((t * Count) + slot) * Config.PoseSize, Config.PoseSize);

    public Span<float> FaceNowOf(int slot) => _faceNow.AsSpan(slot * Config.FaceSize, Config.FaceSize);

    public bool IsPresent(int slot, int t, int m) => _present[(((slot * Steps) + t) * 3) + m];

    public void SetPresent(int slot, int t, bool face, bool audio, bool pose)
    {
        var at = ((slot * Steps) + t) * 3;
        (_present[at], _present[at + 1], _present[at + 2]) = (face, audio, pose);
    }

    /// <summary>Window <paramref name="index"/> of <paramref name="windows"/> into <paramref name="slot"/>: copied straight from held features when the list can, else converted from doubles.</summary>
    public void Put(IReadOnlyList<FusionWindow> windows, int index, int slot)
    {
        if (windows is IBatchWindows direct)
        {
            direct.CopyTo(index, this, slot);
            return;
        }
        var w = windows[index];
        if (w.Face.Length != Steps || w.FaceNow.Length != Config.FaceSize)
        {
            throw new ArgumentException($"a window of {w.Face.Length} steps and a face of {w.FaceNow.Length} values does not fit T = {Steps}, D_f = {Config.FaceSize}", nameof(windows));
        }
        for (var t = 0; t < Steps; t++)
        {
            Convert(w.Face[t], FaceStep(slot, t));
            Convert(w.Audio[t], AudioStep(slot, t));
            Convert(w.Pose[t], PoseStep(slot, t));
            SetPresent(slot, t, w.Present[t][0], w.Present[t][1], w.Present[t][2]);
        }
        Convert(w.FaceNow, FaceNowOf(slot));
    }

    private static void Convert(double[] source, Span<float> target)
    {
        if (source.Length != target.Length)
        {
            throw new ArgumentException($"a feature of {source.Length} values where the network takes {target.Length}", nameof(source));
        }
        for (var i = 0; i < source.Length; i++)
        {
            target[i] = (float)source[i];
        }
    }

    private static void Grow(ref float[] buffer, int size)
    {
        if (buffer.Length < size)
        {
            buffer = new float[size];
        }
    }
}
