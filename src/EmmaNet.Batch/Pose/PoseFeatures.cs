using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Pose;

/// <summary>
/// The pose features of one subject at one step (EMMA-NET.md section 2): the skeleton whose head keypoints fall in
/// the subject's face box, normalised to the body: origin at the midpoint of the shoulders, unit = shoulder width
/// (or the torso length, shoulders to hips, when the shoulders are not both seen), then each keypoint's (x, y) and
/// confidence: 17 x 3 = 51 values, zeros when absent.
/// </summary>
public static class PoseFeatures
{
    public const int Count = 17 * 3;
    public const float MinKeypointScore = 0.3f;

    /// <summary>The skeleton with the most head keypoints (nose, eyes, ears) inside the face box grown by half, or null.</summary>
    public static Skeleton? MatchToFace(IReadOnlyList<Skeleton> people, FaceDetection face)
    {
        var grow = 0.5f * Math.Max(face.Width, face.Height);
        bool Inside(Keypoint k) => k.Score >= MinKeypointScore && k.X >= face.X1 - grow && k.X <= face.X2 + grow && k.Y >= face.Y1 - grow && k.Y <= face.Y2 + grow;
        return people
            .Select(p => (Pose: p, Head: p.Keypoints.Take(5).Count(Inside)))
            .Where(p => p.Head > 0)
            .OrderByDescending(p => p.Head).ThenByDescending(p => p.Pose.Score)
            .Select(p => p.Pose)
            .FirstOrDefault();
    }

    /// <summary>The 51 normalised values, or null when the body gives no scale (no shoulders and no torso).</summary>
    public static float[]? Normalise(Skeleton skeleton)
    {
        var k = skeleton.Keypoints;
        bool Seen(int i) => k[i].Score >= MinKeypointScore;
        if (!Seen(CocoKeypoints.LeftShoulder) && !Seen(CocoKeypoints.RightShoulder))
        {
            return null;
        }
        (float X, float Y) Mid(int a, int b) => Seen(a) && Seen(b) ? ((k[a].X + k[b].X) / 2, (k[a].Y + k[b].Y) / 2) : Seen(a) ? (k[a].X, k[a].Y) : (k[b].X, k[b].Y);
        var shoulders = Mid(CocoKeypoints.LeftShoulder, CocoKeypoints.RightShoulder);
        float scale;
        if (Seen(CocoKeypoints.LeftShoulder) && Seen(CocoKeypoints.RightShoulder) && Distance(k[CocoKeypoints.LeftShoulder], k[CocoKeypoints.RightShoulder]) > 1)
        {
            scale = Distance(k[CocoKeypoints.LeftShoulder], k[CocoKeypoints.RightShoulder]);
        }
        else if (Seen(CocoKeypoints.LeftHip) || Seen(CocoKeypoints.RightHip))
        {
            var hips = Mid(CocoKeypoints.LeftHip, CocoKeypoints.RightHip);
            scale = MathF.Sqrt(((hips.X - shoulders.X) * (hips.X - shoulders.X)) + ((hips.Y - shoulders.Y) * (hips.Y - shoulders.Y)));
        }
        else
        {
            return null;
        }
        if (scale <= 1)
        {
            return null;
        }
        var features = new float[Count];
        for (var i = 0; i < 17; i++)
        {
            if (Seen(i))
            {
                features[i * 3] = (k[i].X - shoulders.X) / scale;
                features[(i * 3) + 1] = (k[i].Y - shoulders.Y) / scale;
            }
            features[(i * 3) + 2] = k[i].Score;
        }
        return features;
    }

    private static float Distance(Keypoint a, Keypoint b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
