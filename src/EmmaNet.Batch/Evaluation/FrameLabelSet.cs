using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;

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
            var (columns, meta) = await ParquetColumns.ReadAsync(file, PredictionTables.PredictionsSchema, "an analyze predictions file", cancellationToken, LabelColumns);
            var choice = meta.GetValueOrDefault(OutputMetadata.Prefix + "subject_choice", "");
            if (choice == "all")
            {
                warn($"{file}: analysed with --subject all, whose tracks are not ABAW persons; left out (analyse with --subject largest, left or right)");
                continue;
            }
            if (!meta.TryGetValue(OutputMetadata.Prefix + "video_id", out var videoId)
                || !meta.TryGetValue(OutputMetadata.Prefix + "video_frame_count", out var countText)
                || !int.TryParse(countText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var frameCount))
            {
                throw new InvalidDataException($"{file}: metadata without a video id or a frame count");
            }
            var key = KeyOf(videoId, choice);
            var labels = Enumerable.Repeat(None, frameCount).ToArray();
            var frames = ParquetColumns.Required(columns, "frame_index", file);
            var predicted = ParquetColumns.Required(columns, "label_index", file, frames.Length);
            for (var i = 0; i < frames.Length; i++)
            {
                if (frames[i] >= 0 && frames[i] < labels.Length)
                {
                    labels[(long)frames[i]] = (int)predicted[i];
                }
            }
            if (result.TryGetValue(key, out var other))
            {
                throw new InvalidDataException($"{file} and {other.Source} both hold predictions for {key}");
            }
            result[key] = new FrameLabelSet(key, file, labels, frameCount);
        }
        return result;
    }

    private static readonly HashSet<string> LabelColumns = new(StringComparer.Ordinal) { "frame_index", "label_index" };

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
