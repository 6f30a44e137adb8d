namespace EmmaNet.Batch.Faces;

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

    /// <summary>Normalised (0..1) input x to frame pixels.</summary>
    public float ToFrameX(float normalisedX) => (normalisedX * InputSize - PadX) * FrameWidth / ScaledWidth;

    /// <summary>Normalised (0..1) input y to frame pixels.</summary>
    public float ToFrameY(float normalisedY) => (normalisedY * InputSize - PadY) * FrameHeight / ScaledHeight;
}
