namespace EmmaNet.Batch.Faces;

/// <summary>
/// One detected face in the pixel coordinates of the original frame.
/// <see cref="Keypoints"/> holds 6 (x, y) pairs in BlazeFace order: right eye, left eye, nose tip, mouth centre,
/// right ear tragion, left ear tragion (the subject's right is the picture's left).
/// </summary>
public readonly record struct FaceDetection(float X1, float Y1, float X2, float Y2, float Score, float[] Keypoints)
{
    public const int KeypointCount = 6;

    public static readonly string[] KeypointNames = ["right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear", "left_ear"];

    public float Width => X2 - X1;

    public float Height => Y2 - Y1;

    public float Area => Math.Max(0, Width) * Math.Max(0, Height);

    public float IoU(in FaceDetection other)
    {
        var ix = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        var iy = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }
        var inter = ix * iy;
        return inter / (Area + other.Area - inter);
    }
}
