namespace EmmaNet.Batch.Faces;

/// <summary>
/// BlazeFace settings. The full-range (back) 256 model is the default: archive footage and group shots have small
/// faces, which the front 128 model (made for selfie distance) misses.
/// </summary>
/// <param name="ModelId">Manifest id of the detector model.</param>
/// <param name="ScoreThreshold">Minimum sigmoid score (FORMATS.md section 5: about 0.5 for the back model, 0.75 for the front one).</param>
/// <param name="IouThreshold">Overlap above which candidates merge in weighted NMS.</param>
/// <param name="MinFaceSide">Faces narrower than this many frame pixels are dropped (too small to embed).</param>
/// <param name="FramesPerCall">
/// Frames per ONNX Runtime call when the model's batch is symbolic; 0 picks by provider: 1 on CPU (measured faster
/// and lighter there, docs/benchmarks.md), 16 on CUDA/TensorRT.
/// </param>
/// <param name="FitToFrame">
/// With a model of symbolic input size, letterbox each frame into the smallest input that holds it with the cells
/// where the nominal square has them (256x192 for 16:9) rather than the square: a quarter less work for 16:9. False
/// keeps the square (the earlier behaviour, for <c>bench</c>'s comparison).
/// </param>
public sealed record BlazeFaceOptions(
    string ModelId = BlazeFaceOptions.BackModelId,
    float ScoreThreshold = 0.5f,
    float IouThreshold = 0.3f,
    float MinFaceSide = 8,
    int FramesPerCall = 0,
    bool FitToFrame = true)
{
    public const string BackModelId = "blazeface-back-256";
    public const string FrontModelId = "blazeface-front-128";
}
