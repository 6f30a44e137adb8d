namespace EmmaNet.Batch.Abaw;

/// <summary>
/// One Aff-Wild2 EXPR annotation file (FORMATS.md section 1): its video, which person (<c>_left</c>/<c>_right</c> files of
/// two-person videos; null otherwise), and one label per video frame (frame i of the file is index i - 1; -1 means
/// no label).
/// </summary>
public sealed record ExprAnnotation(string Name, string VideoId, string? Side, int[] Labels)
{
    public const string Header = "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other";

    /// <summary>Labelled frames per class (the -1 frames left out).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ExpressionMetrics.Classes];
        foreach (var label in Labels)
        {
            if (label >= 0)
            {
                counts[label]++;
            }
        }
        return counts;
    }

    /// <summary>Reads one file; any deviation from the format is an error naming the file and line.</summary>
    public static ExprAnnotation Read(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header)
        {
            throw new FormatException($"{path}:1: expected the header '{Header}', found '{(lines.Length == 0 ? "" : lines[0].Trim())}'");
        }
        var labels = new List<int>(lines.Length - 1);
        for (var i = 1; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.Length == 0 && i == lines.Length - 1)
            {
                break;
            }
            if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var label) || label < -1 || label > 7)
            {
                throw new FormatException($"{path}:{i + 1}: '{text}' is not a label (-1 or 0..7)");
            }
            labels.Add(label);
        }
        var side = name.EndsWith("_left", StringComparison.Ordinal) ? "left" : name.EndsWith("_right", StringComparison.Ordinal) ? "right" : null;
        var video = side is null ? name : name[..name.LastIndexOf('_')];
        return new ExprAnnotation(name, video, side, labels.ToArray());
    }

    public static IReadOnlyList<ExprAnnotation> ReadFolder(string folder) =>
        Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal).Select(Read).ToList();
}

/// <summary>The training data rules of EMMA-NET.md section 4: train/validation duplicates removed, five folds of about the same class distribution.</summary>
public static class ExprSplits
{
    /// <summary>The training files that are not also in validation (the seed paper removes such duplicates).</summary>
    public static IReadOnlyList<ExprAnnotation> WithoutDuplicates(IReadOnlyList<ExprAnnotation> train, IReadOnlyList<ExprAnnotation> validation)
    {
        var inValidation = validation.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        return train.Where(t => !inValidation.Contains(t.Name)).ToList();
    }

    /// <summary>
    /// Splits whole files (a video's frames never straddle two folds; the two persons of a video stay together) into
    /// <paramref name="folds"/> folds: largest videos first, each to the fold whose class counts then stay closest to
    /// an equal share of every class.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ExprAnnotation>> Folds(IReadOnlyList<ExprAnnotation> files, int folds = 5)
    {
        var videos = files.GroupBy(f => f.VideoId, StringComparer.Ordinal)
            .Select(g => (Files: g.ToList(), Counts: Sum(g.Select(f => f.ClassCounts()))))
            .OrderByDescending(v => v.Counts.Sum()).ThenBy(v => v.Files[0].VideoId, StringComparer.Ordinal)
            .ToList();
        var total = Sum(videos.Select(v => v.Counts));
        var target = total.Select(t => (double)t / folds).ToArray();
        var counts = Enumerable.Range(0, folds).Select(_ => new int[ExpressionMetrics.Classes]).ToArray();
        var result = Enumerable.Range(0, folds).Select(_ => new List<ExprAnnotation>()).ToArray();
        foreach (var (videoFiles, videoCounts) in videos)
        {
            var best = Enumerable.Range(0, folds).MinBy(f => Enumerable.Range(0, ExpressionMetrics.Classes)
                .Sum(c => Math.Pow(Math.Max(0, counts[f][c] + videoCounts[c] - target[c]), 2)) + (1e-9 * counts[f].Sum()));
            for (var c = 0; c < ExpressionMetrics.Classes; c++)
            {
                counts[best][c] += videoCounts[c];
            }
            result[best].AddRange(videoFiles);
        }
        return result;
    }

    private static int[] Sum(IEnumerable<int[]> counts)
    {
        var sum = new int[ExpressionMetrics.Classes];
        foreach (var c in counts)
        {
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += c[i];
            }
        }
        return sum;
    }
}
