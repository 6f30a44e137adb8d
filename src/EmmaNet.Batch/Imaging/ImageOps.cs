using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Imaging;

/// <summary>Which implementation does the image work: OpenCV's native library, or managed code (where it does not load).</summary>
public enum ImageBackend
{
    Auto,
    OpenCv,
    Managed,
}

/// <summary>
/// The three image operations the networks' inputs need: an area resize (frames into detector and pose inputs), a
/// bilinear resize (spectrogram pictures), and a bilinear affine warp with a black border (aligned face crops).
/// OpenCV does them natively; <see cref="ManagedImageOps"/> does the same in C# for machines where
/// OpenCvSharpExtern cannot load (linux-arm64 has no OpenCvSharp runtime package). One backend serves the process.
/// </summary>
public abstract class ImageOps
{
    private static ImageOps? _current;

    /// <summary>The backend's name, as logged and written into output metadata.</summary>
    public abstract string Name { get; }

    /// <summary>Resizes <paramref name="source"/> into <paramref name="destination"/> (reshaped to the size) with OpenCV's INTER_AREA rule.</summary>
    public abstract void ResizeArea(BgrView source, BgrImage destination, int width, int height);

    /// <summary>Resizes with OpenCV's INTER_LINEAR rule (pixel centres aligned, edges replicated).</summary>
    public abstract void ResizeLinear(BgrView source, BgrImage destination, int width, int height);

    /// <summary>
    /// warpAffine: destination pixel (x, y) is the bilinear sample of the source at the inverse of the 2x3
    /// <paramref name="sourceToDestination"/> map; samples outside the source are black.
    /// </summary>
    public abstract void WarpAffine(BgrView source, BgrImage destination, int width, int height, ReadOnlySpan<double> sourceToDestination);

    /// <summary>Null when OpenCV's native library loads; otherwise why not.</summary>
    public static string? OpenCvLoadProblem() => OpenCvImageOps.LoadProblem();

    /// <summary>The process's backend: the one chosen by <see cref="Use"/>, else OpenCV when its native library loads, else managed.</summary>
    public static ImageOps Current => _current ??= Choose(ImageBackend.Auto, out _);

    /// <summary>Chooses the process's backend once, at start-up; returns a line saying which and, for auto, why.</summary>
    public static string Use(ImageBackend backend)
    {
        _current = Choose(backend, out var why);
        return why;
    }

    /// <summary>Chooses and logs the backend in one line (debug when it is OpenCV, as expected; information otherwise).</summary>
    public static void Use(ImageBackend backend, ILogger logger)
    {
        var line = Use(backend);
        logger.Log(_current is OpenCvImageOps ? LogLevel.Debug : LogLevel.Information, "{ImageOps}", line);
    }

    private static ImageOps Choose(ImageBackend backend, out string why)
    {
        switch (backend)
        {
            case ImageBackend.Managed:
                why = "image operations: managed (--image-ops managed)";
                return new ManagedImageOps();
            case ImageBackend.OpenCv:
                if (OpenCvImageOps.LoadProblem() is { } problem)
                {
                    throw new InvalidOperationException($"--image-ops opencv: OpenCV's native library does not load: {problem}");
                }
                why = "image operations: OpenCV (--image-ops opencv)";
                return new OpenCvImageOps();
            default:
                if (OpenCvImageOps.LoadProblem() is { } reason)
                {
                    why = $"image operations: managed, because OpenCV's native library does not load ({reason})";
                    return new ManagedImageOps();
                }
                why = "image operations: OpenCV";
                return new OpenCvImageOps();
        }
    }
}
