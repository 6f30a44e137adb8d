using EmmaNet.Batch.Decoding;
using OpenCvSharp;

namespace EmmaNet.Batch.Imaging;

/// <summary>
/// Fits a frame into a square network input without distorting it: scaled by <see cref="Scale"/> and centred with
/// black padding. Maps normalised network coordinates back to frame pixels.
/// </summary>
public readonly record struct Letterbox(int FrameWidth, int FrameHeight, int InputSize, float Scale, int PadX, int PadY, int ScaledWidth, int ScaledHeight)
{
    public static Letterbox For(int frameWidth, int frameHeight, int inputSize)
    {
        var scale = (float)inputSize / Math.Max(frameWidth, frameHeight);
        var w = Math.Clamp((int)MathF.Round(frameWidth * scale), 1, inputSize);
        var h = Math.Clamp((int)MathF.Round(frameHeight * scale), 1, inputSize);
        return new Letterbox(frameWidth, frameHeight, inputSize, scale, (inputSize - w) / 2, (inputSize - h) / 2, w, h);
    }

    /// <summary>
    /// Letterboxes a frame into an NHWC RGB network input scaled to [-1, 1] (x / 127.5 - 1), padding black (-1).
    /// <paramref name="scratch"/> holds the resized picture between calls (one per caller thread).
    /// </summary>
    public static unsafe Letterbox FillRgb(VideoFrame frame, int inputSize, Span<float> input, Mat scratch)
    {
        var box = ResizeInto(frame, inputSize, scratch);
        input.Fill(-1f);
        var resized = (byte*)scratch.DataPointer;
        var stride = (int)scratch.Step();
        for (var y = 0; y < box.ScaledHeight; y++)
        {
            var row = resized + (y * stride);
            var dst = input.Slice((((box.PadY + y) * inputSize) + box.PadX) * 3, box.ScaledWidth * 3);
            for (var x = 0; x < box.ScaledWidth; x++)
            {
                // BGR in, RGB out.
                dst[x * 3] = (row[(x * 3) + 2] / 127.5f) - 1f;
                dst[(x * 3) + 1] = (row[(x * 3) + 1] / 127.5f) - 1f;
                dst[(x * 3) + 2] = (row[x * 3] / 127.5f) - 1f;
            }
        }
        return box;
    }

    /// <summary>The letterbox for a square input of <paramref name="inputSize"/>, with the frame resized (area) into <paramref name="scratch"/>.</summary>
    public static Letterbox ResizeInto(VideoFrame frame, int inputSize, Mat scratch)
    {
        var box = For(frame.Width, frame.Height, inputSize);
        frame.UseAsMat(source =>
        {
            Cv2.Resize(source, scratch, new OpenCvSharp.Size(box.ScaledWidth, box.ScaledHeight), 0, 0, InterpolationFlags.Area);
            return box;
        });
        return box;
    }

    /// <summary>Normalised (0..1) input x to frame pixels.</summary>
    public float ToFrameX(float normalisedX) => (normalisedX * InputSize - PadX) * FrameWidth / ScaledWidth;

    /// <summary>Normalised (0..1) input y to frame pixels.</summary>
    public float ToFrameY(float normalisedY) => (normalisedY * InputSize - PadY) * FrameHeight / ScaledHeight;
}
