using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Evaluation;

/// <summary>
/// One person's predicted label per video frame, keyed the way ABAW names people: the video id, with <c>_left</c> or
/// <c>_right</c> for the two persons of a two-person video. <see cref="Labels"/>[i] is frame i's class (0..7), or -1
/// where there is no prediction; <see cref="FrameCount"/> is the video's frame count as the source states it.
/// </summary>
public sealed record FrameLabelSet(string Key, string Source, int[] Labels, long FrameCount)
{
    public const int None = -1;

    /// <summary>The ABAW name of a person: the video id, plus <c>_left</c>/<c>_right</c> for those subject choices.</summary>
    public static string KeyOf(string videoId, string subjectChoice) => subjectChoice is "left" or "right" ? $"{videoId}_{subjectChoice}" : videoId;

    /// <summary>
    /// Every <c>*.predictions.parquet</c> under the given folders or files (searched recursively). Outputs of
    /// <c>--subject all</c> are left out through <paramref name="warn"/>: their tracks are not ABAW persons. Two files
    /// claiming one person are an error naming both.
    /// </summary>
    public static async Task<Dictionary<string, FrameLabelSet>> ReadAnalyzeOutputsAsync(IEnumerable<string> paths, Action<string> warn, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, FrameLabelSet>(StringComparer.Ordinal);
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*" + PredictionTables.PredictionsSuffix, SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal))
        {
            var rows = await PredictionTables.ReadPredictionsAsync(file, probabilities: false, cancellationToken);
            if (rows.SubjectChoice == "all")
            {
                warn($"{file}: analysed with --subject all, whose tracks are not ABAW persons; left out (analyse with --subject largest, left or right)");
                continue;
            }
            var key = KeyOf(rows.VideoId, rows.SubjectChoice);
            var labels = Enumerable.Repeat(None, checked((int)rows.FrameCount)).ToArray();
            for (var i = 0; i < rows.FrameIndex.Length; i++)
            {
                if (rows.FrameIndex[i] >= 0 && rows.FrameIndex[i] < labels.Length)
                {
                    labels[rows.FrameIndex[i]] = rows.LabelIndex[i];
                }
            }
            if (result.TryGetValue(key, out var other))
            {
                throw new InvalidDataException($"{file} and {other.Source} both hold predictions for {key}");
            }
            result[key] = new FrameLabelSet(key, file, labels, rows.FrameCount);
        }
        return result;
    }

    /// <summary>A submission file's rows as label sets, one per person (frame n of <c>&lt;person&gt;/&lt;n&gt;.jpg</c> is index n - 1).</summary>
    public static Dictionary<string, FrameLabelSet> FromSubmission(SubmissionFile submission) =>
        submission.Rows.GroupBy(r => r.Person, StringComparer.Ordinal).ToDictionary(g => g.Key, g =>
        {
            var last = g.Max(r => r.Frame);
            var labels = Enumerable.Repeat(None, last).ToArray();
            foreach (var row in g)
            {
                labels[row.Frame - 1] = row.Label;
            }
            return new FrameLabelSet(g.Key, submission.Path, labels, last);
        }, StringComparer.Ordinal);
}
