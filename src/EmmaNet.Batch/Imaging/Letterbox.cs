
namespace EmmaNet.Batch.Imaging;

/// <summary>
/// Fits a frame into a network input without distorting it: scaled by <see cref="Scale"/> and centred with black
/// padding. Maps normalised network coordinates back to frame pixels.
/// </summary>
public readonly record struct Letterbox(int FrameWidth, int FrameHeight, int InputWidth, int InputHeight, float Scale, int PadX, int PadY, int ScaledWidth, int ScaledHeight)
{
    /// <summary>A square input of <paramref name="inputSize"/> (the frame's longer side fills it), centred.</summary>
    public static Letterbox For(int frameWidth, int frameHeight, int inputSize)
    {
        var scale = (float)inputSize / Math.Max(frameWidth, frameHeight);
        var w = Math.Clamp((int)MathF.Round(frameWidth * scale), 1, inputSize);
        var h = Math.Clamp((int)MathF.Round(frameHeight * scale), 1, inputSize);
        return new Letterbox(frameWidth, frameHeight, inputSize, inputSize, scale, (inputSize - w) / 2, (inputSize - h) / 2, w, h);
    }

    /// <summary>
    /// The smallest input of a fully convolutional network that holds the frame scaled so its longer side is
    /// <paramref name="longSide"/>, placed as in the square input of <see cref="For"/> modulo
    /// <paramref name="multiple"/> (the network's coarsest stride), so every cell sees the same pixels as there and
    /// the outputs match the square input's away from the padding. Each side is <c>k * multiple + plus</c>
    /// (BlazeFace: multiples of its coarsest stride; PoseNet: a multiple of 16 plus one), at least a quarter of the
    /// long side (the smallest size the TensorRT profiles allow) and at most the long side. A 16:9 frame takes 256x192
    /// of BlazeFace's 256x256 and 385x225 of PoseNet's 385x385.
    /// </summary>
    public static Letterbox Fitted(int frameWidth, int frameHeight, int longSide, int multiple, int plus = 0)
    {
        var square = For(frameWidth, frameHeight, longSide);
        (int Side, int Pad) Fit(int scaled, int squarePad)
        {
            var pad = squarePad % multiple;
            var needed = Math.Max(pad + scaled, SmallestFittedSide(longSide));
            var side = (((needed - plus + multiple - 1) / multiple) * multiple) + plus;
            return side >= longSide ? (longSide, squarePad) : (side, pad);
        }
        var (width, padX) = Fit(square.ScaledWidth, square.PadX);
        var (height, padY) = Fit(square.ScaledHeight, square.PadY);
        return square with { InputWidth = width, InputHeight = height, PadX = padX, PadY = padY };
    }

    /// <summary>The smallest side <see cref="Fitted"/> gives: a quarter of the long side (the TensorRT profiles' minimum).</summary>
    public static int SmallestFittedSide(int longSide) => (longSide + 3) / 4;

    /// <summary>
    /// Letterboxes a frame into an NHWC RGB network input of <paramref name="box"/>'s size, scaled to [-1, 1]
    /// (x / 127.5 - 1), padding black (-1). <paramref name="scratch"/> holds the resized picture between calls (one
    /// per caller thread).
    /// </summary>
    public static Letterbox FillRgb(BgrView frame, Letterbox box, Span<float> input, BgrImage scratch)
    {
        Resize(frame, box, scratch);
        input[..(box.InputWidth * box.InputHeight * 3)].Fill(-1f);
        for (var y = 0; y < box.ScaledHeight; y++)
        {
            var row = scratch.Row(y);
            var dst = input.Slice((((box.PadY + y) * box.InputWidth) + box.PadX) * 3, box.ScaledWidth * 3);
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
    public static Letterbox ResizeInto(BgrView frame, int inputSize, BgrImage scratch)
    {
        var box = For(frame.Width, frame.Height, inputSize);
        Resize(frame, box, scratch);
        return box;
    }

    private static void Resize(BgrView frame, Letterbox box, BgrImage scratch) =>
        ImageOps.Current.ResizeArea(frame, scratch, box.ScaledWidth, box.ScaledHeight);

    /// <summary>
    /// Frames (by index) grouped into network calls of at most <paramref name="perCall"/>, each call one input size:
    /// videos of different shapes decoded at once share a batch, so their frames interleave.
    /// </summary>
    public static IEnumerable<int[]> Calls(IReadOnlyList<Letterbox> boxes, int perCall) =>
        Enumerable.Range(0, boxes.Count)
            .GroupBy(i => (boxes[i].InputWidth, boxes[i].InputHeight))
            .SelectMany(size => size.Chunk(perCall));

    /// <summary>Normalised (0..1) input x to frame pixels.</summary>
    public float ToFrameX(float normalisedX) => (normalisedX * InputWidth - PadX) * FrameWidth / ScaledWidth;

    /// <summary>Normalised (0..1) input y to frame pixels.</summary>
    public float ToFrameY(float normalisedY) => (normalisedY * InputHeight - PadY) * FrameHeight / ScaledHeight;
}
