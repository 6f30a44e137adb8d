namespace EmmaNet.Batch.Pose;

/// <summary>One body keypoint: position in frame pixels and confidence (0 when missing).</summary>
public readonly record struct Keypoint(float X, float Y, float Score);

/// <summary>A detected body: 17 keypoints in <see cref="CocoKeypoints.Names"/> order and an overall score.</summary>
public sealed record Skeleton(Keypoint[] Keypoints, float Score)
{
    /// <summary>Bounding box of the keypoints scoring at least <paramref name="minScore"/> (all zeros when none do).</summary>
    public (float X1, float Y1, float X2, float Y2) Box(float minScore = 0.3f)
    {
        var good = Keypoints.Where(k => k.Score >= minScore).ToList();
        return good.Count == 0 ? (0, 0, 0, 0) : (good.Min(k => k.X), good.Min(k => k.Y), good.Max(k => k.X), good.Max(k => k.Y));
    }
}

/// <summary>The 17 COCO keypoints in PoseNet's order, and PoseNet's 16-edge tree (parent, child) that the displacement fields follow.</summary>
public static class CocoKeypoints
{
    public static readonly string[] Names =
    [
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
        "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ];

    public const int Nose = 0, LeftEye = 1, RightEye = 2, LeftEar = 3, RightEar = 4, LeftShoulder = 5, RightShoulder = 6;
    public const int LeftHip = 11, RightHip = 12, LeftAnkle = 15;

    /// <summary>Edge e's forward displacement goes parent -> child (channels e and 16 + e), its backward one child -> parent.</summary>
    public static readonly (int Parent, int Child)[] Edges =
    [
        (0, 1), (1, 3), (0, 2), (2, 4), (0, 5), (5, 7), (7, 9), (5, 11), (11, 13), (13, 15),
        (0, 6), (6, 8), (8, 10), (6, 12), (12, 14), (14, 16),
    ];
}
