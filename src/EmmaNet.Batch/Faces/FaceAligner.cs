using OpenCvSharp;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Cuts an upright face out of a frame: rotated about the eyes' midpoint so the eyes lie level, a square of
/// <see cref="Margin"/> times the larger side of the detection box, resized (bilinear) to <c>size</c> pixels.
/// Outside the frame is black.
/// </summary>
public sealed class FaceAligner(int size = 64, float margin = 1.25f)
{
    public int Size { get; } = size;

    public float Margin { get; } = margin;

    /// <summary>The aligned crop, BGR, <see cref="Size"/> x <see cref="Size"/>; the caller disposes it.</summary>
    public Mat Crop(Mat frame, FaceDetection face)
    {
        var (rx, ry, lx, ly) = (face.Keypoints[0], face.Keypoints[1], face.Keypoints[2], face.Keypoints[3]);
        // The subject's right eye is on the picture's left: the angle of the eye line, in degrees.
        var angle = Math.Atan2(ly - ry, lx - rx) * 180 / Math.PI;
        var centre = new Point2f((face.X1 + face.X2) / 2, (face.Y1 + face.Y2) / 2);
        var side = Math.Max(face.Width, face.Height) * Margin;
        var scale = Size / side;
        using var rotation = Cv2.GetRotationMatrix2D(centre, angle, scale);
        // Move the face centre to the middle of the output square.
        rotation.Set(0, 2, rotation.Get<double>(0, 2) + (Size / 2.0) - centre.X);
        rotation.Set(1, 2, rotation.Get<double>(1, 2) + (Size / 2.0) - centre.Y);
        var crop = new Mat();
        Cv2.WarpAffine(frame, crop, rotation, new OpenCvSharp.Size(Size, Size), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.Black);
        return crop;
    }
}
