namespace EmmaNet.Batch.Evaluation;

/// <summary>
/// Makes an ABAW5 EXPR submission from per-frame predictions, row for row as the organisers' example file lists them.
/// Every row gets a label: a frame without a prediction of its person takes that person's nearest predicted frame;
/// a person with no prediction at all (never seen) takes the most frequent class among the other person of the same
/// video, and Neutral (0) when nobody in the video was ever seen; a frame past the person's predictions takes the last.
/// A person whose video was not analysed at all is an error.
/// </summary>
public static class SubmissionWriter
{
    /// <summary>
    /// Writes the submission for <paramref name="examplePath"/>'s rows from the predictions found under
    /// <paramref name="predictionPaths"/> (atomically); what stops it comes back as problems, nothing written then.
    /// </summary>
    public static async Task<(int Rows, int People, List<string> Problems)> WriteAsync(string examplePath, string[] predictionPaths, string outputPath, Action<string> warn, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var example = SubmissionFile.Read(examplePath, requireLabels: false, problems);
        if (problems.Count > 0)
        {
            return (0, 0, problems);
        }
        var predictions = await PredictionSources.ReadAsync(predictionPaths, warn, cancellationToken);
        var (lines, notes, buildProblems) = Build(example, predictions);
        notes.ForEach(warn);
        if (buildProblems.Count > 0)
        {
            return (0, 0, buildProblems);
        }
        await Files.AtomicFile.WriteAllTextAsync(outputPath, string.Join('\n', lines) + "\n", cancellationToken);
        return (lines.Count - 1, example.Rows.Select(r => r.Person).Distinct().Count(), []);
    }

    public static (List<string> Lines, List<string> Notes, List<string> Problems) Build(SubmissionFile example, IReadOnlyDictionary<string, FrameLabelSet> predictions)
    {
        var notes = new List<string>();
        var problems = new List<string>();
        var filled = new Dictionary<string, int[]>(StringComparer.Ordinal);
        int[]? LabelsOf(string person)
        {
            if (filled.TryGetValue(person, out var done))
            {
                return done;
            }
            var video = VideoOf(person);
            var sets = predictions.Values.Where(p => VideoOf(p.Key) == video).ToList();
            int[]? labels = null;
            if (predictions.TryGetValue(person, out var own) && Evaluator.Fill(own.Labels) is { } mine)
            {
                labels = mine;
            }
            else if (sets.Count > 0)
            {
                var seen = sets.SelectMany(s => s.Labels).Where(l => l != FrameLabelSet.None).ToList();
                var fallback = seen.Count == 0 ? 0 : seen.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
                notes.Add(seen.Count == 0
                    ? $"{person}: no face of anyone in {video} was seen; every frame labelled Neutral (0)"
                    : $"{person}: never seen; every frame labelled {fallback}, the most frequent class predicted in {video}");
                labels = [fallback];
            }
            filled[person] = labels!;
            return labels;
        }

        var lines = new List<string>(example.Rows.Count + 1) { SubmissionFile.Header };
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in example.Rows)
        {
            var labels = LabelsOf(row.Person);
            if (labels is null)
            {
                missing.Add(row.Person);
                continue;
            }
            lines.Add($"{row.Location},{labels[Math.Min(row.Frame - 1, labels.Length - 1)]}");
        }
        foreach (var person in missing)
        {
            problems.Add($"{person}: no predictions for its video (analyse it with --subject largest, or left and right for _left/_right)");
        }
        return (lines, notes, problems);
    }

    /// <summary>The video of an ABAW person name (without <c>_left</c>/<c>_right</c>).</summary>
    public static string VideoOf(string person) =>
        person.EndsWith("_left", StringComparison.Ordinal) ? person[..^5] : person.EndsWith("_right", StringComparison.Ordinal) ? person[..^6] : person;
}
