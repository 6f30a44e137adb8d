using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>OpenCV views of the project's pixels, for tests that hold results to OpenCV's.</summary>
internal static class OpenCvViews
{
    /// <summary>Runs <paramref name="use"/> on an OpenCV view of the frame (over a copy of its pixels).</summary>
    public static T Use<T>(VideoFrame frame, Func<OpenCvSharp.Mat, T> use)
    {
        using var view = OpenCvSharp.Mat.FromPixelData(frame.Height, frame.Width, OpenCvSharp.MatType.CV_8UC3, frame.Pixels.ToArray());
        return use(view);
    }

    /// <summary>A copy of an OpenCV picture (8-bit, 3 channels) as a <see cref="BgrImage"/>.</summary>
    public static BgrImage ToImage(OpenCvSharp.Mat mat)
    {
        var (rows, cols) = (mat.Rows, mat.Cols);
        var image = new BgrImage(cols, rows);
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < cols; x++)
            {
                var p = mat.At<OpenCvSharp.Vec3b>(y, x);
                (image.Row(y)[x * 3], image.Row(y)[(x * 3) + 1], image.Row(y)[(x * 3) + 2]) = (p.Item0, p.Item1, p.Item2);
            }
        }
        return image;
    }

    /// <summary>The (B, G, R) pixel at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public static (byte B, byte G, byte R) At(this BgrImage image, int y, int x) =>
        (image.Row(y)[x * 3], image.Row(y)[(x * 3) + 1], image.Row(y)[(x * 3) + 2]);
}
