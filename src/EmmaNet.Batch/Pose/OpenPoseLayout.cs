namespace EmmaNet.Batch.Pose;

/// <summary>
/// An OpenPose body model's output layout (FORMATS.md section 4; OpenPose's pose parameters): part heatmaps (plus a
/// background map) then part affinity fields, the limbs as part pairs, each limb's (x, y) PAF channels counted from
/// the first PAF channel, how many leading limbs may start a new person (the rest are redundant ear-shoulder links),
/// and where each of the 17 COCO keypoints sits among the parts.
/// </summary>
public sealed record OpenPoseLayout(string Name, int Parts, (int A, int B)[] Limbs, (int X, int Y)[] PafChannels, int LimbsStartingPeople, int[] ToCoco17)
{
    public int HeatmapChannels => Parts + 1;

    public int PafChannelCount => Limbs.Length * 2;

    public int TotalChannels => HeatmapChannels + PafChannelCount;

    private static (int, int)[] Pairs(params int[] v) => Enumerable.Range(0, v.Length / 2).Select(i => (v[2 * i], v[(2 * i) + 1])).ToArray();

    /// <summary>COCO-18: 0 Nose, 1 Neck, 2-4 right arm, 5-7 left arm, 8-10 right leg, 11-13 left leg, 14/15 eyes, 16/17 ears; 19 + 38 = 57 channels.</summary>
    public static OpenPoseLayout Coco18 { get; } = new(
        "COCO-18",
        18,
        Pairs(1, 2, 1, 5, 2, 3, 3, 4, 5, 6, 6, 7, 1, 8, 8, 9, 9, 10, 1, 11, 11, 12, 12, 13, 1, 0, 0, 14, 14, 16, 0, 15, 15, 17, 2, 16, 5, 17),
        // OpenPose lists these as absolute channels 19..56 (after the 19 heatmaps).
        Pairs(31, 32, 39, 40, 33, 34, 35, 36, 41, 42, 43, 44, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 47, 48, 49, 50, 53, 54, 51, 52, 55, 56, 37, 38, 45, 46)
            .Select(p => (p.Item1 - 19, p.Item2 - 19)).ToArray(),
        17,
        [0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10]);

    /// <summary>BODY_25: COCO-18's parts with MidHip at 8 and the feet at 19-24; 26 + 52 = 78 channels.</summary>
    public static OpenPoseLayout Body25 { get; } = new(
        "BODY_25",
        25,
        Pairs(1, 8, 1, 2, 1, 5, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 10, 11, 8, 12, 12, 13, 13, 14, 1, 0, 0, 15, 15, 17, 0, 16, 16, 18, 2, 17, 5, 18, 14, 19, 19, 20, 14, 21, 11, 22, 22, 23, 11, 24),
        Pairs(0, 1, 14, 15, 22, 23, 16, 17, 18, 19, 24, 25, 26, 27, 6, 7, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 30, 31, 32, 33, 36, 37, 34, 35, 38, 39, 20, 21, 28, 29, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51),
        18,
        [0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11]);

    public static OpenPoseLayout ForChannels(int heatmaps, int pafs) =>
        new[] { Coco18, Body25 }.FirstOrDefault(l => l.HeatmapChannels == heatmaps && l.PafChannelCount == pafs)
        ?? throw new Onnx.ModelException($"an OpenPose model with {heatmaps} heatmaps and {pafs} PAF channels is neither COCO-18 (19 + 38) nor BODY_25 (26 + 52)");
}
