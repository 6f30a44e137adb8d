using System.Numerics;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Head pose and interpretable measures read off one face mesh (MediaPipe's landmark numbering). Angles in degrees:
/// <see cref="Yaw"/> positive when the nose turns toward the picture's right (the subject's left), <see cref="Pitch"/>
/// positive when the face looks up, <see cref="Roll"/> positive when the eye line tilts clockwise on screen (the
/// subject's left eye lower). The head's rotation is R = Ry(yaw) Rx(pitch) Rz(roll) from the face's own axes (x: right
/// eye's outer corner to the left one's; y: forehead to chin, made orthogonal to x; z = x cross y, into the head).
/// Ratios: each eye's lid gap over its width; mouth opening (inner lips) and width (corners) and the brows' height
/// above the eye centres, over the distance between the outer eye corners. All in 3-D, so turning the head changes
/// them little. Gaze, when the mesh has its irises: where the eyes point within the head, in degrees with the head's
/// signs (<see cref="GazeYaw"/> positive toward the picture's right, <see cref="GazePitch"/> positive up), from each
/// iris centre's offset from its eye corners' midpoint along and across the corners' line, over the eye's width, read
/// as the sine of the eyeball's turn (an eyeball radius of <see cref="EyeballRadiusOverEyeWidth"/> eye widths); the two
/// eyes weighted by their width on the picture (the nearer eye counts more). NaN without irises.
/// </summary>
public sealed record FaceMeasures(float Yaw, float Pitch, float Roll, float EyeOpenRight, float EyeOpenLeft, float MouthOpen, float MouthWidth, float BrowRaise, float GazeYaw = float.NaN, float GazePitch = float.NaN)
{
    /// <summary>An adult eyeball's radius (12 mm) over the eye's corner-to-corner width (about 30 mm).</summary>
    public const float EyeballRadiusOverEyeWidth = 0.4f;

    // The subject's right eye (on the picture's left): outer and inner corners, upper and lower lids; then the left eye.
    internal const int RightEyeOuter = 33, RightEyeInner = 133, RightEyeUpper = 159, RightEyeLower = 145;
    internal const int LeftEyeOuter = 263, LeftEyeInner = 362, LeftEyeUpper = 386, LeftEyeLower = 374;
    internal const int Forehead = 10, Chin = 152;
    internal const int MouthRight = 61, MouthLeft = 291, UpperInnerLip = 13, LowerInnerLip = 14;
    internal const int RightBrow = 105, LeftBrow = 334;

    public static FaceMeasures From(FaceMesh mesh)
    {
        var x = Vector3.Normalize(mesh[LeftEyeOuter] - mesh[RightEyeOuter]);
        var down = mesh[Chin] - mesh[Forehead];
        var y = Vector3.Normalize(down - (Vector3.Dot(down, x) * x));
        var z = Vector3.Cross(x, y);
        static float Degrees(double radians) => (float)(radians * 180 / Math.PI);
        var yaw = Degrees(Math.Atan2(-z.X, z.Z));
        var pitch = Degrees(Math.Asin(Math.Clamp(z.Y, -1f, 1f)));
        var roll = Degrees(Math.Atan2(x.Y, y.Y));

        float Distance(int a, int b) => Vector3.Distance(mesh[a], mesh[b]);
        var eyes = Distance(RightEyeOuter, LeftEyeOuter);
        var rightEye = (mesh[RightEyeOuter] + mesh[RightEyeInner]) / 2;
        var leftEye = (mesh[LeftEyeOuter] + mesh[LeftEyeInner]) / 2;
        var brows = (Vector3.Distance(mesh[RightBrow], rightEye) + Vector3.Distance(mesh[LeftBrow], leftEye)) / 2;
        var (gazeYaw, gazePitch) = Gaze(mesh);
        return new FaceMeasures(
            yaw, pitch, roll,
            Distance(RightEyeUpper, RightEyeLower) / Distance(RightEyeOuter, RightEyeInner),
            Distance(LeftEyeUpper, LeftEyeLower) / Distance(LeftEyeOuter, LeftEyeInner),
            Distance(UpperInnerLip, LowerInnerLip) / eyes,
            Distance(MouthRight, MouthLeft) / eyes,
            brows / eyes,
            gazeYaw, gazePitch);
    }

    private static (float Yaw, float Pitch) Gaze(FaceMesh mesh)
    {
        if (mesh.Irises is null)
        {
            return (float.NaN, float.NaN);
        }
        var (across, along, weight) = (0.0, 0.0, 0.0);
        foreach (var (leftEye, from, to) in new[] { (false, RightEyeOuter, RightEyeInner), (true, LeftEyeInner, LeftEyeOuter) })
        {
            // From the eye's corner on the picture's left to the one on its right; "down" is that line turned 90 degrees.
            var (a, b) = (new Vector2(mesh[from].X, mesh[from].Y), new Vector2(mesh[to].X, mesh[to].Y));
            var width = Vector2.Distance(a, b);
            if (width <= 0)
            {
                continue;
            }
            var line = (b - a) / width;
            var offset = mesh.IrisCentre(leftEye)!.Value - ((a + b) / 2);
            along += Vector2.Dot(offset, line);
            across += Vector2.Dot(offset, new Vector2(-line.Y, line.X));
            weight += width;
        }
        if (weight <= 0)
        {
            return (float.NaN, float.NaN);
        }
        static float Degrees(double sine) => (float)(Math.Asin(Math.Clamp(sine, -1, 1)) * 180 / Math.PI);
        // Summed offsets over summed widths: each eye's offset ratio weighted by its width.
        return (Degrees(along / weight / EyeballRadiusOverEyeWidth), -Degrees(across / weight / EyeballRadiusOverEyeWidth));
    }
}
