namespace EmmaNet.Batch.Evaluation;

/// <summary>Where predictions for <c>evaluate</c> and <c>submit</c> come from: one submission file, or analyze outputs.</summary>
public static class PredictionSources
{
    public static async Task<Dictionary<string, FrameLabelSet>> ReadAsync(string[] paths, Action<string> warn, CancellationToken cancellationToken)
    {
        foreach (var path in paths.Where(p => !File.Exists(p) && !Directory.Exists(p)))
        {
            throw new IOException($"{path}: not found");
        }
        if (paths.Length == 1 && File.Exists(paths[0]) && !paths[0].EndsWith(".parquet", StringComparison.Ordinal))
        {
            var problems = new List<string>();
            var submission = SubmissionFile.Read(paths[0], requireLabels: true, problems);
            if (problems.Count > 0)
            {
                throw new InvalidDataException(string.Join(Environment.NewLine, problems.Take(10)));
            }
            return FrameLabelSet.FromSubmission(submission);
        }
        var sets = await FrameLabelSet.ReadAnalyzeOutputsAsync(paths, warn, cancellationToken);
        if (sets.Count == 0)
        {
            throw new InvalidDataException($"{string.Join(", ", paths)}: no predictions files of single subjects (analyze --subject largest, left or right)");
        }
        return sets;
    }
}
