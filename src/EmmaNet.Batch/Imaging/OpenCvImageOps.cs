using OpenCvSharp;

namespace EmmaNet.Batch.Imaging;

/// <summary>The image operations by OpenCV, on views of the managed pixels (no copies).</summary>
internal sealed class OpenCvImageOps : ImageOps
{
    public override string Name => "opencv";

    /// <summary>Null when OpenCvSharpExtern loads; otherwise why not, in one line.</summary>
    public static string? LoadProblem()
    {
        try
        {
            _ = Cv2.GetVersionString();
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or BadImageFormatException or EntryPointNotFoundException)
        {
            var inner = ex is TypeInitializationException { InnerException: { } e } ? e : ex;
            // .NET's message goes on with advice about strace and LD_DEBUG: its first sentence says what failed.
            var first = inner.Message.Split('\n')[0];
            var end = first.IndexOf(". ", StringComparison.Ordinal);
            return end > 0 ? first[..end] : first;
        }
    }

    public override void ResizeArea(BgrView source, BgrImage destination, int width, int height) =>
        Run(source, destination.Reshape(width, height), (s, d) => Cv2.Resize(s, d, new Size(width, height), 0, 0, InterpolationFlags.Area));

    public override void ResizeLinear(BgrView source, BgrImage destination, int width, int height) =>
        Run(source, destination.Reshape(width, height), (s, d) => Cv2.Resize(s, d, new Size(width, height), 0, 0, InterpolationFlags.Linear));

    public override void WarpAffine(BgrView source, BgrImage destination, int width, int height, ReadOnlySpan<double> sourceToDestination)
    {
        using var map = Mat.FromPixelData(2, 3, MatType.CV_64FC1, sourceToDestination.ToArray());
        Run(source, destination.Reshape(width, height), (s, d) => Cv2.WarpAffine(s, d, map, new Size(width, height), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.Black));
    }

    private static unsafe void Run(BgrView source, BgrImage destination, Action<Mat, Mat> operation)
    {
        fixed (byte* from = source.Pixels)
        fixed (byte* to = destination.Buffer)
        {
            using var s = Mat.FromPixelData(source.Height, source.Width, MatType.CV_8UC3, (IntPtr)from);
            using var d = Mat.FromPixelData(destination.Height, destination.Width, MatType.CV_8UC3, (IntPtr)to);
            operation(s, d);
            // OpenCV reallocates rather than fail when the destination does not fit: that would leave ours unwritten.
            if (d.Data != (IntPtr)to)
            {
                throw new InvalidOperationException("OpenCV did not write into the destination image");
            }
        }
    }
}
