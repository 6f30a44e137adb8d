namespace EmmaNet.Batch.Pose;

/// <summary>
/// Groups OpenPose heatmaps and part affinity fields into people (FORMATS.md section 4). Maps are channel-major
/// [channel][row][col] at <c>rows x cols</c>. Peaks: 3x3 local maxima above <see cref="PeakThreshold"/>. A limb
/// candidate between two peaks samples the PAF at <see cref="Samples"/> points along the segment: the dot product with
/// the segment's unit vector must exceed <see cref="PafThreshold"/> at 95% of them; its score is the mean dot product
/// plus a penalty for segments longer than half the map height. Connections are taken greedily by score with no
/// endpoint used twice per limb, then joined into people; people with fewer than 3 parts or a mean score below 0.4
/// are dropped. Positions are in map cells times <c>scale</c> (input pixels per cell).
/// </summary>
public sealed class OpenPoseDecoder(OpenPoseLayout layout, int rows, int cols, float scale)
{
    public const float PeakThreshold = 0.05f;
    public const float PafThreshold = 0.05f;
    public const int Samples = 10;
    public const float SampleShare = 0.95f;
    public const int MinParts = 3;
    public const float MinMeanScore = 0.4f;

    private sealed class Person(int parts)
    {
        public int[] Peak { get; } = Enumerable.Repeat(-1, parts).ToArray();

        public float Score { get; set; }

        public int Count { get; set; }
    }

    private readonly record struct Peak(int Part, int Row, int Col, float Score);

    public List<Skeleton> Decode(ReadOnlySpan<float> heatmaps, ReadOnlySpan<float> pafs)
    {
        var plane = rows * cols;
        if (heatmaps.Length < layout.HeatmapChannels * plane || pafs.Length < layout.PafChannelCount * plane)
        {
            throw new ArgumentException($"{layout.Name} maps need {layout.HeatmapChannels} + {layout.PafChannelCount} planes of {rows}x{cols}");
        }
        var peaks = new List<Peak>();
        var byPart = new List<int>[layout.Parts];
        for (var part = 0; part < layout.Parts; part++)
        {
            byPart[part] = new List<int>();
            var map = heatmaps.Slice(part * plane, plane);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < cols; c++)
                {
                    var v = map[(r * cols) + c];
                    if (v > PeakThreshold && IsPeak(map, r, c, v))
                    {
                        byPart[part].Add(peaks.Count);
                        peaks.Add(new Peak(part, r, c, v));
                    }
                }
            }
        }

        var people = new List<Person>();
        for (var limb = 0; limb < layout.Limbs.Length; limb++)
        {
            var (a, b) = layout.Limbs[limb];
            var (px, py) = layout.PafChannels[limb];
            var pafX = pafs.Slice(px * plane, plane);
            var pafY = pafs.Slice(py * plane, plane);
            var candidates = new List<(float Score, int A, int B)>();
            foreach (var ia in byPart[a])
            {
                foreach (var ib in byPart[b])
                {
                    if (LimbScore(peaks[ia], peaks[ib], pafX, pafY) is { } score)
                    {
                        candidates.Add((score, ia, ib));
                    }
                }
            }
            var usedA = new HashSet<int>();
            var usedB = new HashSet<int>();
            foreach (var (score, ia, ib) in candidates.OrderByDescending(c => c.Score))
            {
                if (usedA.Contains(ia) || usedB.Contains(ib))
                {
                    continue;
                }
                usedA.Add(ia);
                usedB.Add(ib);
                Join(people, limb, a, b, ia, ib, score, peaks);
            }
        }

        return people.Where(p => p.Count >= MinParts && p.Score / p.Count >= MinMeanScore)
            .Select(p => ToSkeleton(p, peaks))
            .OrderByDescending(s => s.Score)
            .ToList();
    }

    private bool IsPeak(ReadOnlySpan<float> map, int r, int c, float v)
    {
        for (var dr = -1; dr <= 1; dr++)
        {
            for (var dc = -1; dc <= 1; dc++)
            {
                var (nr, nc) = (r + dr, c + dc);
                if ((dr != 0 || dc != 0) && nr >= 0 && nr < rows && nc >= 0 && nc < cols && map[(nr * cols) + nc] > v)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private float? LimbScore(Peak a, Peak b, ReadOnlySpan<float> pafX, ReadOnlySpan<float> pafY)
    {
        var (dx, dy) = ((float)(b.Col - a.Col), (float)(b.Row - a.Row));
        var norm = MathF.Sqrt((dx * dx) + (dy * dy));
        if (norm < 1e-6f)
        {
            return null;
        }
        var (ux, uy) = (dx / norm, dy / norm);
        float sum = 0;
        var above = 0;
        for (var i = 0; i < Samples; i++)
        {
            var t = (float)i / (Samples - 1);
            var r = Math.Clamp((int)MathF.Round(a.Row + (dy * t)), 0, rows - 1);
            var c = Math.Clamp((int)MathF.Round(a.Col + (dx * t)), 0, cols - 1);
            var dot = (pafX[(r * cols) + c] * ux) + (pafY[(r * cols) + c] * uy);
            sum += dot;
            above += dot > PafThreshold ? 1 : 0;
        }
        var score = (sum / Samples) + Math.Min((0.5f * rows / norm) - 1, 0);
        return above >= SampleShare * Samples && score > 0 ? score : null;
    }

    private void Join(List<Person> people, int limb, int a, int b, int ia, int ib, float score, List<Peak> peaks)
    {
        var found = people.Where(p => p.Peak[a] == ia || p.Peak[b] == ib).ToList();
        if (found.Count == 1)
        {
            var p = found[0];
            if (p.Peak[b] != ib)
            {
                p.Peak[b] = ib;
                p.Count++;
                p.Score += peaks[ib].Score + score;
            }
        }
        else if (found.Count == 2)
        {
            var (first, second) = (found[0], found[1]);
            if (!first.Peak.Zip(second.Peak).Any(x => x.First >= 0 && x.Second >= 0))
            {
                for (var i = 0; i < first.Peak.Length; i++)
                {
                    if (second.Peak[i] >= 0)
                    {
                        first.Peak[i] = second.Peak[i];
                    }
                }
                first.Count += second.Count;
                first.Score += second.Score + score;
                people.Remove(second);
            }
            else if (first.Peak[b] != ib)
            {
                first.Peak[b] = ib;
                first.Count++;
                first.Score += peaks[ib].Score + score;
            }
        }
        else if (limb < layout.LimbsStartingPeople)
        {
            var p = new Person(layout.Parts);
            p.Peak[a] = ia;
            p.Peak[b] = ib;
            p.Count = 2;
            p.Score = peaks[ia].Score + peaks[ib].Score + score;
            people.Add(p);
        }
    }

    private Skeleton ToSkeleton(Person person, List<Peak> peaks)
    {
        var keypoints = layout.ToCoco17.Select(part =>
        {
            var i = person.Peak[part];
            return i < 0 ? new Keypoint(0, 0, 0) : new Keypoint(peaks[i].Col * scale, peaks[i].Row * scale, peaks[i].Score);
        }).ToArray();
        return new Skeleton(keypoints, person.Score / person.Count);
    }
}
