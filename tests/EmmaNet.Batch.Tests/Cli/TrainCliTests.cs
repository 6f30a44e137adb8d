using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>
/// A small Aff-Wild2-style data set made from the face sample, once for the class: each photo's 5 s is cut into its own
/// clip, features extracted (largest subject; left and right for clip3), and EXPR annotation files written in the
/// Aff-Wild2 format whose labels follow the speech measured in faces.json (Happiness while the voice speaks, Neutral
/// in silence, -1 near the edges and in the first 6 frames). The faces are still photos, so only the voice tells the
/// classes apart.
/// </summary>
public sealed class AffWild2StyleSet : IDisposable
{
    private readonly TempFolder _folder = new();

    public AffWild2StyleSet()
    {
        Directory.CreateDirectory(Clips);
        var truth = PhotoSegment.LoadAll();
        for (var i = 1; i <= 6; i++)
        {
            GeneratedClips.Run("ffmpeg", string.Create(CultureInfo.InvariantCulture,
                $"-v error -y -ss {truth[i - 1].StartS} -t 5 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac \"{Path.Combine(Clips, $"clip{i}.mp4")}\""));
        }
        Check(Emmanet.RunAsync("extract", Clips, "--subject", "largest", "-o", Features).GetAwaiter().GetResult());
        Check(Emmanet.RunAsync("extract", Path.Combine(Clips, "clip3.mp4"), "--subject", "left", "-o", Features).GetAwaiter().GetResult());
        Check(Emmanet.RunAsync("extract", Path.Combine(Clips, "clip3.mp4"), "--subject", "right", "-o", Features).GetAwaiter().GetResult());

        var train = Directory.CreateDirectory(Path.Combine(Labels, "Train_Set")).FullName;
        var validation = Directory.CreateDirectory(Path.Combine(Labels, "Validation_Set")).FullName;
        Write(Path.Combine(train, "clip1.txt"), truth[0], Frames("clip1"));
        Write(Path.Combine(train, "clip2.txt"), truth[1], Frames("clip2"));
        Write(Path.Combine(train, "clip3_left.txt"), truth[2], Frames("clip3"));
        Write(Path.Combine(train, "clip3_right.txt"), truth[2], Frames("clip3"));
        Write(Path.Combine(train, "clip4.txt"), truth[3], Frames("clip4") - 20);   // 20 lines short: a warning
        Write(Path.Combine(train, "clip5.txt"), truth[4], Frames("clip5"));        // also in validation: left out
        Write(Path.Combine(train, "clip9.txt"), truth[5], 150);                    // no such video: a warning
        Write(Path.Combine(validation, "clip5.txt"), truth[4], Frames("clip5"));
        Write(Path.Combine(validation, "clip6.txt"), truth[5], Frames("clip6"));
    }

    public string Clips => _folder.File("clips");

    public string Features => _folder.File("features");

    public string Labels => _folder.File("labels");

    public string File(string name) => _folder.File(name);

    private static void Check(Emmanet.Result result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("extract failed: " + result.Stderr);
        }
    }

    private int Frames(string clip) =>
        int.Parse(DuckDb.Query($"SELECT value FROM parquet_kv_metadata('{Path.Combine(Features, clip + ".largest.steps.parquet")}') WHERE key = 'emmanet.video_frame_count'").Single().Text("value"), CultureInfo.InvariantCulture);

    /// <summary>Frame f (line f + 2) at f / 30 s into the clip: 4 while speaking, 0 in silence, -1 within 0.25 s of a change and in the first 6 frames.</summary>
    private static void Write(string path, PhotoSegment photo, int frames)
    {
        var (from, to) = (photo.SpeechStartS - photo.StartS, photo.SpeechEndS - photo.StartS);
        var lines = new List<string> { "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other" };
        for (var f = 0; f < frames; f++)
        {
            var t = f / 30.0;
            var label = f < 6 ? -1 : t >= from + 0.25 && t <= to - 0.25 ? 4 : t >= to + 0.25 || t <= from - 0.25 ? 0 : -1;
            lines.Add(label.ToString(CultureInfo.InvariantCulture));
        }
        System.IO.File.WriteAllLines(path, lines);
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary><c>emmanet train</c> end to end on <see cref="AffWild2StyleSet"/>, and the model it exports run by <c>analyze</c>.</summary>
public sealed class TrainCliTests(AffWild2StyleSet set) : IClassFixture<AffWild2StyleSet>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static readonly Dictionary<string, Emmanet.Result> Runs = new();

    private Emmanet.Result Train(string variant)
    {
        Once.Wait();
        try
        {
            if (!Runs.TryGetValue(variant, out var result))
            {
                result = Emmanet.RunAsync("train", "--features", set.Features, "--labels", set.Labels, "--folds", "3", "--hidden", "16", "--epochs", "15", "--variant", variant,
                    "-o", set.File($"{variant}.onnx"), "--report", set.File($"{variant}.json")).GetAwaiter().GetResult();
                Runs[variant] = result;
            }
            return result;
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public void Train_reads_the_annotations_prints_table_1_per_fold_and_says_what_it_left_out()
    {
        var run = Train("attention");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var table = run.Stdout.Split('\n');
        Assert.StartsWith("split", table[0], StringComparison.Ordinal);
        foreach (var column in new[] { "Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Other", "Acc", "Avg F1", "ECU" })
        {
            Assert.Contains(column, table[0], StringComparison.Ordinal);
        }
        foreach (var row in new[] { "fold 1 held-out", "fold 1 validation", "fold 2 held-out", "fold 3 validation", "mean held-out", "mean validation" })
        {
            Assert.Contains(table, line => line.StartsWith(row, StringComparison.Ordinal));
        }
        Assert.Contains("Left out 1 training file(s) also in Validation_Set", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("clip9: no features at", run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"clip4: \d+ labelled lines but the video has \d+ frames", run.Stderr);
        // clip1, clip2, clip3_left, clip3_right and clip4 train; clip5 and clip6 validate.
        Assert.Contains("Training on 5 tracks", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("validation 2 tracks", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_exported_model_records_its_extractors_and_analyze_runs_it()
    {
        Assert.True(Train("attention").ExitCode == 0, Train("attention").Stderr);
        var sessions = new SessionFactory(new ExecutionOptions(ExecutionDevice.Cpu), NullLogger.Instance);
        using (var model = new FusionModel(set.File("attention.onnx"), sessions))
        {
            Assert.Equal("attention", model.Variant);
            Assert.Equal(12, model.Steps);
            Assert.Contains("Aff-Wild2 EXPR annotations, fold", model.Training, StringComparison.Ordinal);
            var features = DuckDb.Query($"SELECT key, value FROM parquet_kv_metadata('{Path.Combine(set.Features, "clip1.largest.steps.parquet")}')")
                .ToDictionary(r => r.Text("key"), r => r.Text("value"));
            Assert.Null(model.Mismatch(ExtractorIdentity.FromMetadata(features)));
            Assert.Equal(["audio_cnn", "body_pose", "face_detector", "face_expression", "face_identity", "face_iris", "face_mesh", "voice_activity"], model.Extractors.Keys);
            Assert.StartsWith("deepspectrum-resnet18 ", model.Extractors["audio_cnn"], StringComparison.Ordinal);
            Assert.Contains("voice: DeepSpectrum (deepspectrum-resnet18) (512)", model.Training, StringComparison.Ordinal);
            Assert.Contains("inputs: face faceapi-expression on facemesh-placed crops with facemesh head pose and measures and iris gaze (273 values)", model.Training, StringComparison.Ordinal);
        }

        var output = set.File("analyzed");
        var analyze = await Emmanet.RunAsync("analyze", Path.Combine(set.Clips, "clip6.mp4"), "--fusion", set.File("attention.onnx"), "--subject", "largest", "-o", output);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        var frames = DuckDb.Query($"SELECT count(*) AS n, count(DISTINCT frame_index) AS f, min(frame_index) AS first FROM '{Path.Combine(output, "clip6.predictions.parquet")}'").Single();
        var expected = DuckDb.Query($"SELECT value FROM parquet_kv_metadata('{Path.Combine(set.Features, "clip6.largest.steps.parquet")}') WHERE key = 'emmanet.video_frame_count'").Single().Text("value");
        Assert.Equal(long.Parse(expected, CultureInfo.InvariantCulture), frames.Count("n"));
        Assert.Equal(frames.Count("n"), frames.Count("f"));
        Assert.Equal(0, frames.Count("first"));
    }

    [Fact]
    public void The_exported_model_is_the_fold_with_the_best_held_out_avg_f1()
    {
        Assert.True(Train("attention").ExitCode == 0, Train("attention").Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(set.File("attention.json")));
        var heldOut = report.RootElement.GetProperty("rows").EnumerateArray()
            .Where(r => r.GetProperty("split").GetString()!.EndsWith("held-out", StringComparison.Ordinal) && !r.GetProperty("split").GetString()!.StartsWith("mean", StringComparison.Ordinal))
            .Select(r => (Split: r.GetProperty("split").GetString()!, F1: r.GetProperty("avg_f1").GetDouble(), Count: r.GetProperty("count").GetInt32()))
            .ToList();
        Assert.Equal(3, heldOut.Count);
        Assert.All(heldOut, r => Assert.True(r.Count > 0));
        var best = heldOut.MaxBy(r => r.F1);
        var training = report.RootElement.GetProperty("training").GetString()!;
        Assert.Contains($"fold {best.Split.Split(' ')[1]} of 3", training, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"held-out Avg F1 {best.F1:F3}"), training, StringComparison.Ordinal);
    }
}

/// <summary>
/// <c>emmanet train</c> as a long job: Ctrl-C (SIGINT) during training exits 130 at the next batch with the last
/// finished epoch's checkpoint on disk and no model; <c>--resume</c> then finishes it, and the model is byte for byte
/// the one an uninterrupted run writes; the checkpoints are removed once training ends.
/// </summary>
public sealed class TrainInterruptionTests(AffWild2StyleSet set) : IClassFixture<AffWild2StyleSet>
{

    [Fact]
    public async Task Ctrl_c_keeps_the_last_epoch_and_resume_ends_like_an_uninterrupted_run()
    {
        string[] Args(string model) => ["train", "--distill", "--features", set.Features, "--hidden", "128", "--epochs", "30", "--seed", "2", "-o", set.File(model)];
        var whole = await Emmanet.RunAsync(Args("whole.onnx"));
        Assert.True(whole.ExitCode == 0, whole.Stderr);

        var checkpoint = Path.Combine(set.File("cut.checkpoints"), "distill.ckpt");
        var stop = await Emmanet.InterruptWhenAsync(checkpoint, set.File("cut.log"), Args("cut.onnx"));
        var log = File.ReadAllText(set.File("cut.log"));
        Assert.True(stop.Stdout.Trim() == "exit 130", stop.Stdout + stop.Stderr + log);
        Assert.Contains("--resume", log, StringComparison.Ordinal);
        Assert.True(File.Exists(checkpoint));
        var saved = TrainingCheckpoint.Load(checkpoint);
        Assert.False(saved.Finished);
        Assert.InRange(saved.Epoch, 1, 29);
        Assert.False(File.Exists(set.File("cut.onnx")));

        var resumed = await Emmanet.RunAsync([.. Args("cut.onnx"), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("Resuming distill from", resumed.Stderr, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(set.File("whole.onnx")), File.ReadAllBytes(set.File("cut.onnx")));
        Assert.False(Directory.Exists(set.File("cut.checkpoints")));
    }
}
