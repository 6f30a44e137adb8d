using System.Globalization;

namespace EmmaNet.Batch.Evaluation;

/// <summary>One row of an ABAW5 EXPR submission: <c>&lt;person&gt;/&lt;00001&gt;.jpg,&lt;label&gt;</c> (frame numbers from 1).</summary>
public sealed record SubmissionRow(int Line, string Location, string Person, int Frame, int Label);

/// <summary>
/// The single-file ABAW5 EXPR submission format (FORMATS.md section 2): the header
/// <c>image_location,Neutral,...,Other</c>, then one row per required frame. The organisers' example file has the same
/// shape and fixes which rows a submission must have, in which order.
/// </summary>
public sealed record SubmissionFile(string Path, IReadOnlyList<SubmissionRow> Rows)
{
    public const string Header = "image_location,Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other";

    /// <summary>
    /// Reads a submission or example file. With <paramref name="requireLabels"/> every row must carry a label 0..7;
    /// without (an example file), a row's label is -1 when missing or not a label. Problems are collected as
    /// "file:line: what" in <paramref name="problems"/>; rows that cannot be parsed are left out.
    /// </summary>
    public static SubmissionFile Read(string path, bool requireLabels, List<string> problems)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header)
        {
            problems.Add($"{path}:1: expected the header '{Header}', found '{(lines.Length == 0 ? "" : lines[0].Trim())}'");
        }
        var rows = new List<SubmissionRow>(Math.Max(0, lines.Length - 1));
        for (var i = 1; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.Length == 0)
            {
                if (i != lines.Length - 1)
                {
                    problems.Add($"{path}:{i + 1}: empty line");
                }
                continue;
            }
            var fields = text.Split(',');
            var location = fields[0];
            var slash = location.LastIndexOf('/');
            if (slash <= 0 || !location.EndsWith(".jpg", StringComparison.Ordinal)
                || !int.TryParse(location.AsSpan(slash + 1, location.Length - slash - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var frame) || frame < 1)
            {
                problems.Add($"{path}:{i + 1}: '{location}' is not <video>/<frame number>.jpg");
                continue;
            }
            var label = -1;
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out label) || label > 7)
            {
                if (requireLabels)
                {
                    problems.Add($"{path}:{i + 1}: '{(fields.Length < 2 ? "" : fields[1])}' is not a label 0..7");
                    continue;
                }
                label = -1;
            }
            rows.Add(new SubmissionRow(i + 1, location, location[..slash], frame, label));
        }
        return new SubmissionFile(path, rows);
    }

    /// <summary>
    /// Compares a submission with the example file: same header, and row by row the same image locations in the same
    /// order, each with a label. Returns the problems found, first ones first.
    /// </summary>
    public static List<string> Check(string submissionPath, string examplePath)
    {
        var problems = new List<string>();
        var exampleProblems = new List<string>();
        var example = Read(examplePath, requireLabels: false, exampleProblems);
        if (exampleProblems.Count > 0)
        {
            return exampleProblems;
        }
        var submission = Read(submissionPath, requireLabels: true, problems);
        var byLine = submission.Rows.ToDictionary(r => r.Line);
        var lines = File.ReadAllLines(submissionPath).Length;
        for (var i = 0; i < example.Rows.Count; i++)
        {
            var line = i + 2;
            var want = example.Rows[i].Location;
            if (!byLine.TryGetValue(line, out var row))
            {
                if (line > lines)
                {
                    problems.Add($"{submissionPath}: ends after {lines - 1} rows; the example has {example.Rows.Count} (first missing: {want})");
                    break;
                }
                continue;   // a row already reported as unreadable
            }
            if (row.Location != want)
            {
                problems.Add($"{submissionPath}:{line}: '{row.Location}' where the example has '{want}'");
            }
        }
        if (submission.Rows.Count > example.Rows.Count)
        {
            problems.Add($"{submissionPath}: {submission.Rows.Count} rows; the example has {example.Rows.Count}");
        }
        return problems;
    }
}
