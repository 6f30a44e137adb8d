namespace EmmaNet.Batch.Pose;

/// <summary>
/// Decodes PoseNet's outputs for one image (FORMATS.md section 4), all NHWC on a grid of <c>rows x cols</c> cells at
/// <c>stride</c> pixels: heatmap logits (17 channels, sigmoid applied here), offsets (34: y in channel k, x in k + 17),
/// forward and backward displacements (32: y in e, x in 16 + e). Positions come out in input-image pixels.
/// </summary>
public sealed class PoseNetDecoder(int rows, int cols, int stride = 16)
{
    private const int K = 17;
    private const int E = 16;

    public int Rows { get; } = rows;

    public int Cols { get; } = cols;

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private float Heat(ReadOnlySpan<float> heatmaps, int y, int x, int k) => Sigmoid(heatmaps[(((y * Cols) + x) * K) + k]);

    private (float Y, float X) Offset(ReadOnlySpan<float> offsets, int y, int x, int k)
    {
        var at = ((y * Cols) + x) * 2 * K;
        return (offsets[at + k], offsets[at + K + k]);
    }

    private (float Y, float X) Position(ReadOnlySpan<float> offsets, int y, int x, int k)
    {
        var (oy, ox) = Offset(offsets, y, x, k);
        return ((y * stride) + oy, (x * stride) + ox);
    }

    /// <summary>One person: each keypoint at the cell where its heatmap is highest, refined by its offset.</summary>
    public Skeleton Single(ReadOnlySpan<float> heatmaps, ReadOnlySpan<float> offsets)
    {
        var keypoints = new Keypoint[K];
        for (var k = 0; k < K; k++)
        {
            var (by, bx, best) = (0, 0, float.MinValue);
            for (var y = 0; y < Rows; y++)
            {
                for (var x = 0; x < Cols; x++)
                {
                    var v = heatmaps[(((y * Cols) + x) * K) + k];
                    if (v > best)
                    {
                        (by, bx, best) = (y, x, v);
                    }
                }
            }
            var (py, px) = Position(offsets, by, bx, k);
            keypoints[k] = new Keypoint(px, py, Sigmoid(best));
        }
        return new Skeleton(keypoints, keypoints.Average(k => k.Score));
    }

    /// <summary>
    /// Several people: roots are heatmap local maxima (3x3) scoring at least <paramref name="scoreThreshold"/>, strongest
    /// first; a root within <paramref name="nmsRadius"/> pixels of the same keypoint of a pose already found is skipped;
    /// each pose is completed along the keypoint tree with the displacement fields, refined by the offsets. A pose's
    /// score is the mean over keypoints of the scores of those not claimed by an earlier pose.
    /// </summary>
    public List<Skeleton> Multiple(ReadOnlySpan<float> heatmaps, ReadOnlySpan<float> offsets, ReadOnlySpan<float> forward, ReadOnlySpan<float> backward,
        int maxPoses = 5, float scoreThreshold = 0.5f, float nmsRadius = 20, int refineSteps = 2)
    {
        var candidates = new List<(float Score, int K, int Y, int X)>();
        for (var y = 0; y < Rows; y++)
        {
            for (var x = 0; x < Cols; x++)
            {
                for (var k = 0; k < K; k++)
                {
                    var score = Heat(heatmaps, y, x, k);
                    if (score >= scoreThreshold && IsLocalMaximum(heatmaps, y, x, k, score))
                    {
                        candidates.Add((score, k, y, x));
                    }
                }
            }
        }
        var poses = new List<Skeleton>();
        foreach (var (score, k, y, x) in candidates.OrderByDescending(c => c.Score))
        {
            if (poses.Count >= maxPoses)
            {
                break;
            }
            var (ry, rx) = Position(offsets, y, x, k);
            if (Claimed(poses, k, rx, ry, nmsRadius))
            {
                continue;
            }
            var keypoints = new Keypoint[K];
            var known = new bool[K];
            keypoints[k] = new Keypoint(rx, ry, score);
            known[k] = true;
            for (var e = E - 1; e >= 0; e--)
            {
                var (parent, child) = CocoKeypoints.Edges[e];
                if (known[child] && !known[parent])
                {
                    keypoints[parent] = Follow(keypoints[child], parent, e, backward, heatmaps, offsets, refineSteps);
                    known[parent] = true;
                }
            }
            for (var e = 0; e < E; e++)
            {
                var (parent, child) = CocoKeypoints.Edges[e];
                if (known[parent] && !known[child])
                {
                    keypoints[child] = Follow(keypoints[parent], child, e, forward, heatmaps, offsets, refineSteps);
                    known[child] = true;
                }
            }
            var instance = Enumerable.Range(0, K).Where(j => !Claimed(poses, j, keypoints[j].X, keypoints[j].Y, nmsRadius)).Sum(j => keypoints[j].Score) / K;
            poses.Add(new Skeleton(keypoints, instance));
        }
        return poses;
    }

    private bool IsLocalMaximum(ReadOnlySpan<float> heatmaps, int y, int x, int k, float score)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                var (ny, nx) = (y + dy, x + dx);
                if ((dy != 0 || dx != 0) && ny >= 0 && ny < Rows && nx >= 0 && nx < Cols && Heat(heatmaps, ny, nx, k) > score)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static bool Claimed(List<Skeleton> poses, int k, float x, float y, float radius) =>
        poses.Any(p => ((p.Keypoints[k].X - x) * (p.Keypoints[k].X - x)) + ((p.Keypoints[k].Y - y) * (p.Keypoints[k].Y - y)) <= radius * radius);

    private (int Y, int X) Cell(float y, float x) =>
        (Math.Clamp((int)MathF.Round(y / stride), 0, Rows - 1), Math.Clamp((int)MathF.Round(x / stride), 0, Cols - 1));

    private Keypoint Follow(Keypoint source, int target, int edge, ReadOnlySpan<float> displacement, ReadOnlySpan<float> heatmaps, ReadOnlySpan<float> offsets, int refineSteps)
    {
        var (sy, sx) = Cell(source.Y, source.X);
        var at = ((sy * Cols) + sx) * 2 * E;
        var (y, x) = (source.Y + displacement[at + edge], source.X + displacement[at + E + edge]);
        for (var i = 0; i < refineSteps; i++)
        {
            var (cy, cx) = Cell(y, x);
            (y, x) = Position(offsets, cy, cx, target);
        }
        var (fy, fx) = Cell(y, x);
        return new Keypoint(x, y, Heat(heatmaps, fy, fx, target));
    }
}
