using EmmaNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// Silero voice activity detection (v5 ONNX) at 16 kHz. The model is loaded once; each audio stream gets its own
/// <see cref="Tracker"/>: 512-sample chunks (32 ms), each fed with the last 64 samples of the previous input in front,
/// and the recurrent state [2, 1, 128] carried from chunk to chunk. Streams of different videos run concurrently.
/// </summary>
public sealed class SileroVad : IDisposable
{
    public const string ModelId = "silero-vad";
    public const int ChunkSamples = 512;
    public const int ContextSamples = 64;

    private readonly OnnxModel _onnx;

    public SileroVad(ModelStore models, SessionFactory sessions) => _onnx = OnnxModel.FromStore(models, ModelId, sessions);

    public ModelIdentity Model => _onnx.Identity;

    /// <summary>A new stream: silence as context, zero state (the trackers share the one session).</summary>
    public Tracker CreateStream() => new(_onnx);

    public void Dispose() => _onnx.Dispose();

    /// <summary>One audio stream's VAD state. <see cref="Push"/> takes samples in any chunking and returns the speech probability of each completed 32 ms chunk.</summary>
    public sealed class Tracker(OnnxModel onnx)
    {
        private readonly float[] _input = new float[ContextSamples + ChunkSamples];
        private readonly float[] _state = new float[2 * 128];
        private readonly long[] _sampleRate = [16000];
        private readonly float[] _pending = new float[ChunkSamples];
        private int _pendingCount;

        public List<float> Push(ReadOnlySpan<float> samples)
        {
            var probabilities = new List<float>();
            while (samples.Length > 0)
            {
                var take = Math.Min(ChunkSamples - _pendingCount, samples.Length);
                samples[..take].CopyTo(_pending.AsSpan(_pendingCount));
                _pendingCount += take;
                samples = samples[take..];
                if (_pendingCount == ChunkSamples)
                {
                    probabilities.Add(RunChunk());
                    _pendingCount = 0;
                }
            }
            return probabilities;
        }

        private float RunChunk()
        {
            _pending.CopyTo(_input, ContextSamples);
            using var input = OrtValue.CreateTensorValueFromMemory(_input, [1, _input.Length]);
            using var state = OrtValue.CreateTensorValueFromMemory(_state, [2, 1, 128]);
            using var rate = OrtValue.CreateTensorValueFromMemory(_sampleRate, []);
            using var outputs = onnx.Run(["input", "state", "sr"], [input, state, rate], ["output", "stateN"]);
            outputs[1].GetTensorDataAsSpan<float>().CopyTo(_state);
            // The next chunk's context is the end of this input.
            _input.AsSpan(_input.Length - ContextSamples).CopyTo(_input);
            return outputs[0].GetTensorDataAsSpan<float>()[0];
        }
    }
}
