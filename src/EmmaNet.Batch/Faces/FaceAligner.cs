using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Cuts an upright face out of a frame: rotated about the box centre so the eyes lie level (unless
/// <paramref name="levelEyes"/> is false), a square of <see cref="Margin"/> times the larger side of the detection box,
/// resized (bilinear) to <c>size</c> pixels. Outside the frame is black.
/// </summary>
public sealed class FaceAligner(int size = 64, float margin = 1.25f, bool levelEyes = true)
{
    public int Size { get; } = size;

    public float Margin { get; } = margin;

    public bool LevelEyes { get; } = levelEyes;

    /// <summary>The aligned crop, BGR, <see cref="Size"/> x <see cref="Size"/>.</summary>
    public BgrImage Crop(BgrView frame, FaceDetection face) => CropInto(frame, face, new BgrImage(Size, Size));

    /// <summary>The aligned crop of a face given by its mesh (<see cref="Map(FaceMesh)"/>).</summary>
    public BgrImage Crop(BgrView frame, FaceMesh mesh) => CropInto(frame, Map(mesh), new BgrImage(Size, Size));

    /// <summary>The aligned crop written into <paramref name="crop"/> (reshaped to <see cref="Size"/> x <see cref="Size"/>), which is returned.</summary>
    public BgrImage CropInto(BgrView frame, FaceDetection face, BgrImage crop) => CropInto(frame, Map(face), crop);

    /// <summary>The square that <paramref name="map"/> (one of <see cref="Map(FaceDetection)"/>'s) cuts, written into <paramref name="crop"/>.</summary>
    public BgrImage CropInto(BgrView frame, double[] map, BgrImage crop)
    {
        crop.Reshape(Size, Size);
        ImageOps.Current.WarpAffine(frame, crop, Size, Size, map);
        return crop;
    }

    /// <summary>
    /// The 2 x 3 affine map from frame pixels to crop pixels (row-major): OpenCV's getRotationMatrix2D about the box
    /// centre, then a shift of that centre to the square's middle. Its scale is <see cref="Size"/> / (margin x box side).
    /// </summary>
    public double[] Map(FaceDetection face)
    {
        var (rx, ry, lx, ly) = (face.Keypoints[0], face.Keypoints[1], face.Keypoints[2], face.Keypoints[3]);
        // The subject's right eye is on the picture's left: the angle of the eye line, in degrees.
        var angle = LevelEyes ? Math.Atan2(ly - ry, lx - rx) * 180 / Math.PI : 0;
        return Map((face.X1 + face.X2) / 2.0, (face.Y1 + face.Y2) / 2.0, Math.Max(face.Width, face.Height), angle);
    }

    /// <summary>The map for a face given by its mesh: the landmarks' bounding box instead of the detector's, the mesh's outer eye corners for the eye line.</summary>
    public double[] Map(FaceMesh mesh)
    {
        var (minX, maxX, minY, maxY) = (double.MaxValue, double.MinValue, double.MaxValue, double.MinValue);
        for (var i = 0; i < FaceMesh.PointCount; i++)
        {
            var p = mesh[i];
            (minX, maxX, minY, maxY) = (Math.Min(minX, p.X), Math.Max(maxX, p.X), Math.Min(minY, p.Y), Math.Max(maxY, p.Y));
        }
        var (r, l) = (mesh[FaceMeasures.RightEyeOuter], mesh[FaceMeasures.LeftEyeOuter]);
        var angle = LevelEyes ? Math.Atan2(l.Y - r.Y, l.X - r.X) * 180 / Math.PI : 0;
        return Map((minX + maxX) / 2, (minY + maxY) / 2, Math.Max(maxX - minX, maxY - minY), angle);
    }

    /// <summary>A square of <see cref="Margin"/> x <paramref name="boxSide"/> about (cx, cy), turned by <paramref name="angleDegrees"/>.</summary>
    internal double[] Map(double cx, double cy, double boxSide, double angleDegrees)
    {
        var angle = angleDegrees;
        var side = boxSide * Margin;
        var scale = Size / side;
        var (alpha, beta) = (scale * Math.Cos(angle * Math.PI / 180), scale * Math.Sin(angle * Math.PI / 180));
        return
        [
            alpha, beta, ((1 - alpha) * cx) - (beta * cy) + (Size / 2.0) - cx,
            -beta, alpha, (beta * cx) + ((1 - alpha) * cy) + (Size / 2.0) - cy,
        ];
    }
}
