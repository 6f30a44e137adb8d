using BenchmarkDotNet.Attributes;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Benchmarks;

/// <summary>
/// The CPU kernels on every frame, step or window: the detector's letterbox preprocessing of a 720p frame, weighted
/// NMS over a frame's candidate boxes, the log-mel statistics of one 1 s audio window, and the fusion network (ONNX
/// Runtime) on a call of 64 windows. Inputs are random (the work does not depend on the values) and made once.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private VideoFrame _frame = null!;
    private BgrImage _scratch = null!;
    private float[] _input = null!;
    private List<FaceDetection> _candidates = null!;
    private float[] _audio = null!;
    private LogMelStatistics _logMel = null!;
    private FusionModel _fusion = null!;
    private List<FusionWindow> _windows = null!;
    private string _modelPath = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var pixels = new byte[1280 * 720 * 3];
        random.NextBytes(pixels);
        _frame = VideoFrame.FromPixels(pixels, 1280, 720, 0, 0);
        _scratch = new BgrImage();
        _input = new float[256 * 256 * 3];

        // 40 overlapping candidates around 4 faces, as BlazeFace gives before NMS.
        _candidates = Enumerable.Range(0, 40).Select(i =>
        {
            var (cx, cy) = (100 + (i % 4 * 250), 300f);
            var jitter = (float)random.NextDouble() * 10;
            return new FaceDetection(cx + jitter, cy + jitter, cx + 80 + jitter, cy + 80 + jitter, 0.5f + ((float)random.NextDouble() / 2), new float[12]);
        }).ToList();

        _audio = Enumerable.Range(0, 16000).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        _logMel = new LogMelStatistics();

        var config = new FusionConfig(Hidden: 64);
        _modelPath = Path.Combine(Path.GetTempPath(), $"emmanet-bench-fusion-{Guid.NewGuid():N}.onnx");
        OnnxModelFile.Save(FusionExport.Build(new FusionNetwork(config), new Dictionary<string, string>()), _modelPath);
        _fusion = new FusionModel(_modelPath, new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance));
        double[] Vector(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        _windows = Enumerable.Range(0, 64).Select(_ => new FusionWindow(
            Enumerable.Range(0, config.Steps).Select(_ => Vector(config.FaceSize)).ToArray(),
            Enumerable.Range(0, config.Steps).Select(_ => Vector(config.AudioSize)).ToArray(),
            Enumerable.Range(0, config.Steps).Select(_ => Vector(config.PoseSize)).ToArray(),
            Vector(config.FaceSize),
            Enumerable.Range(0, config.Steps).Select(_ => Enumerable.Repeat(true, 3).ToArray()).ToArray())).ToList();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _frame.Dispose();
        _fusion.Dispose();
        File.Delete(_modelPath);
    }

    [Benchmark(Description = "letterbox 720p -> 256x256 RGB floats (square, before)")]
    public Letterbox Preprocess() => Letterbox.FillRgb(_frame.View, Letterbox.For(_frame.Width, _frame.Height, 256), _input, _scratch);

    [Benchmark(Description = "letterbox 720p -> 256x192 RGB floats (fitted, the detector's input)")]
    public Letterbox PreprocessFitted() => Letterbox.FillRgb(_frame.View, Letterbox.Fitted(_frame.Width, _frame.Height, 256, 32), _input, _scratch);

    [Benchmark(Description = "weighted NMS, 40 candidates")]
    public int Nms() => WeightedNms.Apply(_candidates, 0.3f).Count;

    [Benchmark(Description = "log-mel statistics, 1 s at 16 kHz")]
    public float[] LogMel() => _logMel.Features(_audio);

    [Benchmark(Description = "fusion, 64 windows per call (hidden 64)")]
    public FusionPrediction[] Fusion() => _fusion.Run(_windows);
}
