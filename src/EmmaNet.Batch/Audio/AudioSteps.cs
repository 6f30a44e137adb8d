using System.Collections;
using EmmaNet.Batch.Files;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// A video's voice steps as they are read, their features (2 KB a step with DeepSpectrum) waiting in a
/// <see cref="VectorSpill"/> on disk and read back when a step is reached: the audio is read well ahead of the frames,
/// and a long video's steps would otherwise sit in memory until its end (7 MB at 30 minutes). In memory only each
/// step's number, time, speech probability and presence. Added to by one reader, read once it is done.
/// </summary>
/// <param name="folder">Where the features wait (a hidden temp file, deleted when disposed).</param>
/// <param name="stem">The video's output stem, in the temp file's name.</param>
public sealed class AudioSteps(string folder, string stem) : IReadOnlyList<AudioStep>, IDisposable
{
    private readonly VectorSpill _spill = new(folder, stem + ".voice");
    private readonly List<Kept> _steps = new();

    private readonly record struct Kept(int Step, double Time, float SpeechProbability, bool Present, VectorSpill.Place Features);

    public int Count => _steps.Count;

    /// <summary>The step, its features read back from disk (a new array each time).</summary>
    public AudioStep this[int index]
    {
        get
        {
            var kept = _steps[index];
            return new AudioStep(kept.Step, kept.Time, _spill.Read(kept.Features), kept.SpeechProbability, kept.Present);
        }
    }

    /// <exception cref="IOException">The temp file cannot be written (naming it and why).</exception>
    public void Add(AudioStep step) =>
        _steps.Add(new Kept(step.Step, step.Time, step.SpeechProbability, step.Present, _spill.Write(step.Features)));

    /// <summary>The step number at <paramref name="index"/>, without reading its features.</summary>
    public int StepAt(int index) => _steps[index].Step;

    public IEnumerator<AudioStep> GetEnumerator()
    {
        for (var i = 0; i < _steps.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => _spill.Dispose();
}
