using BenchmarkDotNet.Attributes;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Benchmarks;

/// <summary>
/// The image operations per backend (OpenCV's native library against the managed fallback): the detector's and the
/// pose network's area resizes of a 720p frame, one aligned 64x64 face crop (the affine warp), and the spectrogram
/// picture's linear resize (227 to 224).
/// </summary>
[MemoryDiagnoser]
public class ImageOpsBenchmarks
{
    private byte[] _frame = null!;
    private BgrImage _picture = null!;
    private readonly BgrImage _scratch = new();
    private readonly FaceAligner _aligner = new();
    private readonly FaceDetection _face = new(600, 300, 760, 460, 0.9f, [640, 350, 720, 370, 680, 400, 680, 430, 600, 380, 760, 380]);

    [Params(ImageBackend.OpenCv, ImageBackend.Managed)]
    public ImageBackend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ImageOps.Use(Backend);
        var random = new Random(1);
        _frame = new byte[1280 * 720 * 3];
        random.NextBytes(_frame);
        _picture = new BgrImage(227, 227);
        random.NextBytes(_picture.Pixels);
    }

    private BgrView Frame => new(_frame, 1280, 720);

    [Benchmark(Description = "area 1280x720 -> 256x144 (detector)")]
    public void AreaDetector() => ImageOps.Current.ResizeArea(Frame, _scratch, 256, 144);

    [Benchmark(Description = "area 1280x720 -> 385x217 (pose)")]
    public void AreaPose() => ImageOps.Current.ResizeArea(Frame, _scratch, 385, 217);

    [Benchmark(Description = "aligned 64x64 face crop (warp)")]
    public BgrImage FaceCrop() => _aligner.Crop(Frame, _face);

    [Benchmark(Description = "linear 227x227 -> 224x224 (spectrogram)")]
    public void Linear() => ImageOps.Current.ResizeLinear(_picture, _scratch, 224, 224);
}
