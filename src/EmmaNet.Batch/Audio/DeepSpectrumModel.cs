using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models.Conversion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Audio;

/// <summary>
/// DeepSpectrum features: the window's <see cref="MelSpectrogramImage"/> resized (bilinear) to the CNN's input (224 x 224
/// for DenseNet-121), RGB in 0..1 normalised the ImageNet way (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225), run
/// through an ImageNet CNN in ONNX: the bundled ResNet18 (512 values) or a user's (DenseNet-121, the paper's, gives
/// 1024); the configured output (<c>avg_pool</c> by default) is the feature vector, averaged over its spatial positions
/// when it has any. NCHW or NHWC inputs both work.
/// </summary>
public sealed class DeepSpectrumModel : IDisposable
{
    public const string DefaultOutput = "avg_pool";

    private readonly Func<OnnxModel> _open;
    private readonly string _input;
    private readonly string _output;
    private readonly bool _channelsFirst;
    private readonly int _size;
    private readonly MelSpectrogramImage _renderer = new();
    private readonly Lock _gate = new();
    private OnnxModel? _loaded;
    private int _holders;
    private bool _disposed;

    [ThreadStatic]
    private static BgrImage? t_picture;

    [ThreadStatic]
    private static BgrImage? t_resized;

    /// <summary>The bundled ImageNet CNN (ResNet18 from ML.NET's NuGet package, given the ImageNet input at setup).</summary>
    public const string BundledId = "deepspectrum-resnet18";

    private DeepSpectrumModel(Func<OnnxModel> open, string path, string output)
    {
        _open = open;
        // Loaded now to check it, and kept for the first holder (a run's first video): released and loaded again then,
        // while the frame networks start, there were two copies for a moment.
        var onnx = _loaded = open();
        try
        {
            var input = onnx.InputMetadata.Single();
            _input = input.Key;
            var dims = input.Value.Dimensions;
            _channelsFirst = dims.Length == 4 && dims[1] == 3;
            if (dims.Length != 4 || (!_channelsFirst && dims[3] != 3))
            {
                throw new ModelException($"{path}: expected an image input [N,3,H,W] or [N,H,W,3], found [{string.Join(",", dims)}]");
            }
            _size = _channelsFirst ? dims[2] : dims[1];
            _size = _size > 0 ? _size : 224;
            if (!onnx.OutputMetadata.ContainsKey(output))
            {
                throw new ModelException($"{path}: has no output '{output}' (outputs: {string.Join(", ", onnx.OutputNames)}); choose one with --deepspectrum-output");
            }
            _output = output;
            Model = onnx.Identity;
            FeatureCount = FeaturesWith(onnx, new float[AudioTimeline.WindowSamples(LogMelStatistics.SampleRate)]).Length;
        }
        catch
        {
            onnx.Dispose();
            throw;
        }
    }

    /// <summary>The bundled ResNet18 (<see cref="BundledId"/>), its 512 pooled values as features. Both CNNs run on the
    /// CPU from their optimised copies (<see cref="SessionFactory.Create"/>): 21 ms a window instead of 29 unoptimised,
    /// without the 150 MiB that optimising at each load held for a moment.</summary>
    public static DeepSpectrumModel Bundled(ModelStore models, SessionFactory sessions) =>
        new(() => OnnxModel.FromStore(models, BundledId, sessions), models.Resolve(BundledId), DefaultOutput);

    /// <summary>A user-supplied ImageNet CNN (e.g. DenseNet-121, the paper's) taking ImageNet-normalised RGB.</summary>
    public static DeepSpectrumModel FromFile(string path, SessionFactory sessions, string output = DefaultOutput)
    {
        if (!File.Exists(path))
        {
            throw new ModelException($"DeepSpectrum CNN {path} does not exist");
        }
        return new(() => OnnxModel.FromFile(path, "deepspectrum:" + Path.GetFileName(path), sessions, keepOptimised: true), path, output);
    }

    public ModelIdentity Model { get; }

    /// <summary>How many values <see cref="Features"/> gives (learnt from one silent window when loaded).</summary>
    public int FeatureCount { get; }

    /// <summary>Whether the network is in memory now (only while something holds it).</summary>
    public bool Loaded
    {
        get
        {
            lock (_gate)
            {
                return _loaded is not null;
            }
        }
    }

    /// <summary>
    /// Keeps the network loaded until the returned object is disposed (held by each video's audio while it is read;
    /// holds nest). The weights are the largest of any network here (52 MiB of a run's resident memory) and a video's
    /// audio is done long before its frames, so the network is loaded when the first holder comes and released when
    /// the last one goes (docs/decisions.md, "The voice network only while voices are read").
    /// </summary>
    public IDisposable Hold()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loaded ??= _open();
            _holders++;
        }
        return new Holder(this);
    }

    private void Release()
    {
        OnnxModel? unload = null;
        lock (_gate)
        {
            if (--_holders == 0)
            {
                (unload, _loaded) = (_loaded, null);
            }
        }
        unload?.Dispose();
    }

    private sealed class Holder(DeepSpectrumModel model) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                model.Release();
            }
        }
    }


    /// <summary>The network input for an audio window: [1, 3, S, S] or [1, S, S, 3] as the model wants.</summary>
    public float[] ImageTensor(ReadOnlySpan<float> samples)
    {
        var tensor = new float[3 * _size * _size];
        ImageTensorInto(samples, tensor);
        return tensor;
    }

    private void ImageTensorInto(ReadOnlySpan<float> samples, Span<float> tensor)
    {
        // Scratch pictures kept per thread (several videos' audio may run at once): made anew each step, they were
        // two large-object allocations every half second of audio.
        var picture = _renderer.Render(samples, t_picture ??= new BgrImage());
        var resized = t_resized ??= new BgrImage();
        ImageOps.Current.ResizeLinear(picture, resized, _size, _size);
        NormaliseInto(resized, _size, _channelsFirst, tensor);
    }

    /// <summary>ImageNet normalisation of a BGR picture into RGB planes (NCHW) or interleaved RGB (NHWC).</summary>
    public static float[] Normalise(BgrImage bgr, int size, bool channelsFirst)
    {
        var tensor = new float[3 * size * size];
        NormaliseInto(bgr, size, channelsFirst, tensor);
        return tensor;
    }

    private static void NormaliseInto(BgrImage bgr, int size, bool channelsFirst, Span<float> tensor)
    {
        for (var y = 0; y < size; y++)
        {
            var row = bgr.Row(y);
            for (var x = 0; x < size; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var value = ((row[(x * 3) + (2 - c)] / 255f) - ImageNetInput.Mean[c]) / ImageNetInput.Std[c];
                    tensor[channelsFirst ? (c * size * size) + (y * size) + x : (((y * size) + x) * 3) + c] = value;
                }
            }
        }
    }

    public float[] Features(ReadOnlySpan<float> samples)
    {
        using var held = Hold();
        return FeaturesWith(_loaded!, samples);
    }

    private float[] FeaturesWith(OnnxModel onnx, ReadOnlySpan<float> samples)
    {
        // The 0.6 MB input of every 2 Hz step comes from a pool: made anew each time, it was large-object garbage
        // that brought on full collections (docs/benchmarks.md).
        var length = 3 * _size * _size;
        var tensor = System.Buffers.ArrayPool<float>.Shared.Rent(length);
        try
        {
            ImageTensorInto(samples, tensor.AsSpan(0, length));
            long[] shape = _channelsFirst ? [1, 3, _size, _size] : [1, _size, _size, 3];
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor.AsMemory(0, length), shape);
            return FeaturesOf(onnx, value);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(tensor);
        }
    }

    /// <summary>The network's output for one input: its channels averaged over their positions when it is a map.</summary>
    private float[] FeaturesOf(OnnxModel onnx, OrtValue value)
    {
        using var outputs = onnx.Run([_input], [value], [_output]);
        var data = outputs[0].GetTensorDataAsSpan<float>();
        var outShape = outputs[0].GetTensorTypeAndShape().Shape;
        if (outShape.Length == 4 && outShape[2] * outShape[3] > 1)
        {
            // [1, C, H, W]: average each channel over its positions.
            var (c, plane) = ((int)outShape[1], (int)(outShape[2] * outShape[3]));
            var pooled = new float[c];
            for (var i = 0; i < c; i++)
            {
                pooled[i] = System.Numerics.Tensors.TensorPrimitives.Sum(data.Slice(i * plane, plane)) / plane;
            }
            return pooled;
        }
        return data.ToArray();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _loaded?.Dispose();
            _loaded = null;
        }
    }
}
