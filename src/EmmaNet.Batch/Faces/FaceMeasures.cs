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
/// them little.
/// </summary>
public sealed record FaceMeasures(float Yaw, float Pitch, float Roll, float EyeOpenRight, float EyeOpenLeft, float MouthOpen, float MouthWidth, float BrowRaise)
{
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
        return new FaceMeasures(
            yaw, pitch, roll,
            Distance(RightEyeUpper, RightEyeLower) / Distance(RightEyeOuter, RightEyeInner),
            Distance(LeftEyeUpper, LeftEyeLower) / Distance(LeftEyeOuter, LeftEyeInner),
            Distance(UpperInnerLip, LowerInnerLip) / eyes,
            Distance(MouthRight, MouthLeft) / eyes,
            brows / eyes);
    }
}
