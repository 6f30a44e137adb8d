using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Evaluation;

/// <summary><c>emmanet evaluate</c> against metrics worked out by hand, and <c>emmanet submit</c> against an example file the test writes.</summary>
public sealed class EvaluateSubmitTests : IDisposable
{
    private const string Header = "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other";
    private readonly TempFolder _temp = new();

    private string Annotations(params (string Name, int[] Labels)[] files)
    {
        var folder = Directory.CreateDirectory(_temp.File("labels")).FullName;
        foreach (var (name, labels) in files)
        {
            File.WriteAllLines(Path.Combine(folder, name + ".txt"), [Header, .. labels.Select(l => l.ToString(CultureInfo.InvariantCulture))]);
        }
        return folder;
    }

    private string Submission(string name, params (string Person, int[] Labels)[] people)
    {
        var path = _temp.File(name);
        File.WriteAllLines(path, [
            "image_location," + Header,
            .. people.SelectMany(p => p.Labels.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{p.Person}/{i + 1:00000}.jpg,{l}"))),
        ]);
        return path;
    }

    /// <summary>An analyze predictions file for one person: frame i labelled labels[i], no row where it is -1.</summary>
    private async Task Predictions(string folder, string videoId, string choice, int[] labels)
    {
        FusionPrediction Prediction(int label)
        {
            var p = new float[8];
            p[label] = 1;
            return new FusionPrediction(p, [new float[12], new float[12], new float[12]]);
        }
        var frames = labels.Select((l, i) => (l, i)).Where(x => x.l >= 0)
            .Select(x => new FramePrediction(0, x.i, new TickResult(0, x.i / 5, x.i, x.i / 30.0, 0, [], Prediction(x.l)), false)).ToList();
        var metadata = new Dictionary<string, string>
        {
            [OutputMetadata.Prefix + "video_id"] = videoId,
            [OutputMetadata.Prefix + "subject_choice"] = choice,
            [OutputMetadata.Prefix + "video_frame_count"] = labels.Length.ToString(CultureInfo.InvariantCulture),
        };
        await PredictionTables.WriteAsync(folder, FrameLabelKey(videoId, choice), videoId, PredictionsClasses, frames.Select(f => f.Source).ToList(), frames, metadata, CancellationToken.None);
    }

    private static readonly string[] PredictionsClasses = Header.Split(',');

    private static string FrameLabelKey(string videoId, string choice) => Batch.Evaluation.FrameLabelSet.KeyOf(videoId, choice);

    [Fact]
    public async Task Evaluate_matches_a_hand_computation()
    {
        // Truth and predictions per person; -1 frames are skipped (b_left's last frame is predicted Fear, which must not count).
        var labels = Annotations(("a", [0, 0, 4, 4, 4, -1, 6, 6]), ("b_left", [5, 5, 0, -1]), ("b_right", [7, 7, 4, 3]));
        var pred = Submission("pred.txt", ("a", [0, 4, 4, 4, 0, 0, 6, 1]), ("b_left", [5, 0, 0, 3]), ("b_right", [7, 4, 4, 5]));
        var json = _temp.File("scores.json");

        var run = await Emmanet.RunAsync("evaluate", "--pred", pred, "--labels", labels, "--json", json, "--csv", _temp.File("scores.csv"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        // Pooled over the 14 labelled frames, worked out by hand:
        //   Neutral   TP 2 (a, b_left), FP 2 (a 4->0, b_left 5->0), FN 1 (a 0->4): F1 = 4/7
        //   Anger     predicted once (a 6->1), never present: 0;  Disgust never present nor predicted: 0
        //   Fear      present once (b_right), never predicted: 0
        //   Happiness TP 3, FP 2 (a 0->4, b_right 7->4), FN 1 (a 4->0): 6/9
        //   Sadness   TP 1, FP 1 (b_right 3->5), FN 1 (b_left 5->0): 2/4
        //   Surprise  TP 1, FN 1 (a 6->1): 2/3;  Other TP 1, FN 1 (b_right 7->4): 2/3
        //   accuracy 8/14; Avg F1 = (4/7 + 2/3 + 1/2 + 2/3 + 2/3) / 8
        double[] f1 = [4.0 / 7, 0, 0, 0, 6.0 / 9, 0.5, 2.0 / 3, 2.0 / 3];
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var overall = doc.RootElement.GetProperty("overall");
        Assert.Equal(14, overall.GetProperty("frames").GetInt32());
        Assert.Equal(f1, overall.GetProperty("f1").EnumerateArray().Select(v => v.GetDouble()).ToArray(), (x, y) => Math.Abs(x - y) < 1e-12);
        Assert.Equal(8.0 / 14, overall.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(f1.Average(), overall.GetProperty("avg_f1").GetDouble(), 12);
        // Person a alone: Neutral 2/4, Happiness 4/6, Surprise 2/3, Anger 0: Avg F1 = (1/2 + 2/3 + 2/3) / 8, accuracy 4/7.
        var a = doc.RootElement.GetProperty("videos").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "a");
        Assert.Equal((0.5 + (2.0 / 3) + (2.0 / 3)) / 8, a.GetProperty("avg_f1").GetDouble(), 12);
        Assert.Equal(4.0 / 7, a.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(1, overall.GetProperty("confusion")[5][0].GetInt32());   // b_left: Sadness read as Neutral
        // The printed table: Table 1 layout, in %.
        Assert.Contains("all frames", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("57.1", run.Stdout, StringComparison.Ordinal);   // accuracy 8/14 and Neutral's F1 4/7
        Assert.Contains("38.4", run.Stdout, StringComparison.Ordinal);   // Avg F1 0.3839
        Assert.Equal(5, File.ReadAllLines(_temp.File("scores.csv")).Length);   // header, three people, all frames
    }

    [Fact]
    public async Task Evaluate_matches_left_and_right_to_their_analyze_outputs_and_names_disagreeing_frame_counts()
    {
        var output = Directory.CreateDirectory(_temp.File("out")).FullName;
        await Predictions(output, "b", "left", [5, 5, 0, 0]);
        await Predictions(output, "b", "right", [7, 7, 4, 3, 3]);
        var labels = Annotations(("b_left", [5, 5, 0, -1]), ("b_right", [7, 7, 4, 3]));

        var mismatch = await Emmanet.RunAsync("evaluate", "--pred", output, "--labels", labels);
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("b_right: the annotation has 4 frames, the predictions", mismatch.Stderr, StringComparison.Ordinal);
        Assert.Contains(" 5 (--frame-tolerance N", mismatch.Stderr, StringComparison.Ordinal);

        var json = _temp.File("lr.json");
        var tolerant = await Emmanet.RunAsync("evaluate", "--pred", output, "--labels", labels, "--frame-tolerance", "1", "--json", json);
        Assert.True(tolerant.ExitCode == 0, tolerant.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        // Each side matched to its own track: every labelled frame right.
        Assert.All(doc.RootElement.GetProperty("videos").EnumerateArray(), v => Assert.Equal(1.0, v.GetProperty("accuracy").GetDouble()));
    }

    [Fact]
    public async Task Submit_reproduces_the_example_rows_in_order_and_fills_every_frame()
    {
        var output = Directory.CreateDirectory(_temp.File("out")).FullName;
        // vid1: no face at frames 3-4 (index 2, 3) and the example asks for a 7th frame the video does not have.
        await Predictions(output, "vid1", "largest", [2, 2, -1, -1, 5, 5]);
        await Predictions(output, "vid2", "left", [1, 1, 1, 1]);
        await Predictions(output, "vid2", "right", [-1, -1, -1, -1]);   // never seen
        var example = _temp.File("example.txt");
        File.WriteAllLines(example, [
            "image_location," + Header,
            .. Enumerable.Range(1, 4).Select(i => $"vid2_right/{i:00000}.jpg,"),
            .. Enumerable.Range(1, 7).Select(i => $"vid1/{i:00000}.jpg,"),
            .. Enumerable.Range(1, 4).Select(i => $"vid2_left/{i:00000}.jpg,"),
        ]);
        var submission = _temp.File("submission.txt");

        var run = await Emmanet.RunAsync("submit", "--pred", output, "--example", example, "-o", submission);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] expected =
        [
            "image_location," + Header,
            "vid2_right/00001.jpg,1", "vid2_right/00002.jpg,1", "vid2_right/00003.jpg,1", "vid2_right/00004.jpg,1",   // never seen: the video's most frequent class
            "vid1/00001.jpg,2", "vid1/00002.jpg,2",
            "vid1/00003.jpg,2", "vid1/00004.jpg,5",   // no face: the nearest predicted frame (index 1 and index 4)
            "vid1/00005.jpg,5", "vid1/00006.jpg,5",
            "vid1/00007.jpg,5",                       // past the video: its last prediction
            "vid2_left/00001.jpg,1", "vid2_left/00002.jpg,1", "vid2_left/00003.jpg,1", "vid2_left/00004.jpg,1",
        ];
        Assert.Equal(expected, File.ReadAllLines(submission));
        Assert.Contains("vid2_right: never seen; every frame labelled 1", run.Stderr, StringComparison.Ordinal);

        var valid = await Emmanet.RunAsync("submit", "--check", submission, "--example", example);
        Assert.True(valid.ExitCode == 0, valid.Stderr);
        Assert.Contains("valid against the example file", valid.Stderr, StringComparison.Ordinal);

        // A missing row and a bad label are caught, with their line numbers.
        var broken = expected.ToList();
        broken.RemoveAt(7);                          // vid1/00003.jpg
        broken[10] = "vid2_left/00001.jpg,9";
        var brokenPath = _temp.File("broken.txt");
        File.WriteAllLines(brokenPath, broken);
        var check = await Emmanet.RunAsync("submit", "--check", brokenPath, "--example", example);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"{brokenPath}:8: 'vid1/00004.jpg' where the example has 'vid1/00003.jpg'", check.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{brokenPath}:11: '9' is not a label 0..7", check.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_refuses_when_a_video_was_not_analysed()
    {
        var output = Directory.CreateDirectory(_temp.File("out")).FullName;
        await Predictions(output, "vid1", "largest", [2, 2]);
        var example = _temp.File("example.txt");
        File.WriteAllLines(example, ["image_location," + Header, "vid1/00001.jpg,", "vid9/00001.jpg,"]);

        var run = await Emmanet.RunAsync("submit", "--pred", output, "--example", example, "-o", _temp.File("s.txt"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("vid9: no predictions for its video", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("s.txt")));
    }

    public void Dispose() => _temp.Dispose();
}
