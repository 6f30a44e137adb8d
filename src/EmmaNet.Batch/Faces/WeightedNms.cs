namespace EmmaNet.Batch.Faces;

/// <summary>
/// MediaPipe's weighted non-maximum suppression (FORMATS.md section 5): the best remaining candidate and every
/// candidate overlapping it above the IoU threshold form a group; the group becomes one detection whose box and
/// keypoints are the score-weighted mean of the group and whose score is the best one's.
/// </summary>
public static class WeightedNms
{
    public static List<FaceDetection> Apply(List<FaceDetection> candidates, float iouThreshold)
    {
        candidates.Sort((a, b) => b.Score.CompareTo(a.Score));
        var result = new List<FaceDetection>();
        var used = new bool[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            if (used[i])
            {
                continue;
            }
            var best = candidates[i];
            float wSum = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
            var kp = new float[FaceDetection.KeypointCount * 2];
            for (var j = i; j < candidates.Count; j++)
            {
                if (used[j] || best.IoU(candidates[j]) <= iouThreshold && j != i)
                {
                    continue;
                }
                used[j] = true;
                var c = candidates[j];
                wSum += c.Score;
                x1 += c.X1 * c.Score;
                y1 += c.Y1 * c.Score;
                x2 += c.X2 * c.Score;
                y2 += c.Y2 * c.Score;
                for (var k = 0; k < kp.Length; k++)
                {
                    kp[k] += c.Keypoints[k] * c.Score;
                }
            }
            for (var k = 0; k < kp.Length; k++)
            {
                kp[k] /= wSum;
            }
            result.Add(new FaceDetection(x1 / wSum, y1 / wSum, x2 / wSum, y2 / wSum, best.Score, kp));
        }
        return result;
    }
}
