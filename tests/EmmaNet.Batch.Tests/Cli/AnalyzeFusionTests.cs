using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary><c>emmanet analyze</c> with the default fusion model on the face sample (every subject), run once for the class and read back with DuckDB.</summary>
public sealed class AnalyzeFusionTests
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (TempFolder Out, Emmanet.Result Result)? _run;

    private static (TempFolder Out, Emmanet.Result Result) Run()
    {
        Once.Wait();
        try
        {
            if (_run is null)
            {
                var folder = new TempFolder();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
                _run = (folder, Emmanet.RunAsync("analyze", TestPaths.FacesVideo, "-o", folder.Path).GetAwaiter().GetResult());
            }
            return _run.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    /// <summary>The shared analyze output folder (analysed on first use).</summary>
    public static string Output() => Run().Out.Path;

    private static string Predictions => Path.Combine(Run().Out.Path, "faces.predictions.parquet");

    private static string Attention => Path.Combine(Run().Out.Path, "faces.attention.parquet");

    [Fact]
    public void Every_subject_gets_every_frame_of_its_photo_with_probabilities_that_sum_to_one_and_the_label_at_their_top()
    {
        Assert.True(Run().Result.ExitCode == 0, Run().Result.Stderr);
        var shape = DuckDb.Query($"SELECT count(DISTINCT subject) AS subjects, count(*) AS n, count(DISTINCT (subject, frame_index)) AS distinct_rows, max(frame_index) AS last FROM '{Predictions}'").Single();
        // 22 faces over the six photos (3 + 3 + 3 + 4 + 5 + 4), each seen at every tick of its photo's 150 frames:
        // with --subject all (the default) a track's rows run from its first seen tick to the end of its last.
        Assert.Equal(22, shape.Count("subjects"));
        Assert.Equal(22 * 150, shape.Count("n"));
        Assert.Equal(shape.Count("n"), shape.Count("distinct_rows"));
        Assert.Equal(899, shape.Count("last"));
        var spans = DuckDb.Query($"SELECT subject, min(frame_index) AS first, count(*) AS n FROM '{Predictions}' GROUP BY subject");
        Assert.All(spans, s => Assert.Equal((0, 150), (s.Count("first") % 150, s.Count("n"))));
        var bad = DuckDb.Query($"""
            SELECT count(*) AS n FROM '{Predictions}'
            WHERE abs(prob_neutral + prob_anger + prob_disgust + prob_fear + prob_happiness + prob_sadness + prob_surprise + prob_other - 1) > 1e-4
               OR label <> ['Neutral','Anger','Disgust','Fear','Happiness','Sadness','Surprise','Other'][label_index + 1]
               OR greatest(prob_neutral, prob_anger, prob_disgust, prob_fear, prob_happiness, prob_sadness, prob_surprise, prob_other)
                  > [prob_neutral, prob_anger, prob_disgust, prob_fear, prob_happiness, prob_sadness, prob_surprise, prob_other][label_index + 1] + 1e-6
            """).Single();
        Assert.Equal(0, bad.Count("n"));
    }

    [Fact]
    public void Attention_has_twelve_steps_per_tick_and_sums_to_one_over_the_present_steps()
    {
        Assert.True(Run().Result.ExitCode == 0, Run().Result.Stderr);
        var rows = DuckDb.Query($"SELECT count(*) AS n, count(DISTINCT (subject, tick)) AS ticks FROM '{Attention}'").Single();
        // One window per tick where a subject's face is seen: 660 faces over 180 ticks.
        Assert.Equal(660, rows.Count("ticks"));
        Assert.Equal(660 * 12, rows.Count("n"));
        var sums = DuckDb.Query($"""
            SELECT subject, tick, sum(attn_face) AS f, sum(attn_audio) AS a, sum(attn_pose) AS p,
                   CASE WHEN bool_or(audio_present) THEN 1 ELSE 0 END AS want_a, CASE WHEN bool_or(pose_present) THEN 1 ELSE 0 END AS want_p,
                   sum(CASE WHEN face_present THEN 0 ELSE attn_face END) + sum(CASE WHEN audio_present THEN 0 ELSE attn_audio END) AS absent
            FROM '{Attention}' GROUP BY subject, tick
            """);
        Assert.All(sums, s =>
        {
            Assert.Equal(1, s.Number("f"), 3);
            Assert.Equal(s.Number("want_a"), s.Number("a"), 3);
            Assert.Equal(s.Number("want_p"), s.Number("p"), 3);
            Assert.Equal(0, s.Number("absent"), 6);
        });
        // The steps' times sit on the 2 Hz grid around the tick: offset 6 is the tick's own step.
        var centre = DuckDb.Query($"SELECT count(*) AS n FROM '{Attention}' WHERE step_offset = 6 AND abs(step_time_s - time_s) > 0.25").Single();
        Assert.Equal(0, centre.Count("n"));
    }

    [Fact]
    public void Smiles_read_as_happiness_where_the_face_cnn_sees_them_and_nowhere_in_the_unsmiling_photo()
    {
        Assert.True(Run().Result.ExitCode == 0, Run().Result.Stderr);
        var happy = DuckDb.Query($"""
            SELECT floor(source_time_s / 5)::INT + 1 AS photo, count(DISTINCT subject) AS subjects
            FROM '{Predictions}' WHERE NOT filled AND label = 'Happiness' GROUP BY ALL
            """).ToDictionary(r => r.Count("photo"), r => r.Count("subjects"));
        // The expression test's hand-picked smiles: one in sample1, two in sample3, one in sample4, one in sample6;
        // sample2 has none (three women looking down).
        Assert.True(happy.GetValueOrDefault(1) >= 1);
        Assert.True(happy.GetValueOrDefault(3) >= 2);
        Assert.True(happy.GetValueOrDefault(4) >= 1);
        Assert.True(happy.GetValueOrDefault(6) >= 1);
        Assert.Equal(0, happy.GetValueOrDefault(2));
    }

    [Fact]
    public async Task Outputs_name_the_fusion_model_and_the_provider_and_a_rerun_skips()
    {
        Assert.True(Run().Result.ExitCode == 0, Run().Result.Stderr);
        var meta = DuckDb.Query($"SELECT key, value FROM parquet_kv_metadata('{Predictions}')").ToDictionary(r => r.Text("key"), r => r.Text("value"));
        Assert.Equal("predictions/1", meta["emmanet.schema"]);
        Assert.Equal("emmanet-default.onnx", meta["emmanet.model.fusion.file"]);
        Assert.Equal("CPUExecutionProvider", meta["emmanet.model.fusion.execution_provider"]);
        Assert.Equal("attention", meta["emmanet.fusion.variant"]);
        Assert.StartsWith("distilled from the face expression CNN", meta["emmanet.fusion.training"], StringComparison.Ordinal);
        Assert.Contains("attention", Run().Result.Stderr, StringComparison.Ordinal);
        // The default model was trained on DeepSpectrum voice features, so analyze computes them without being told.
        Assert.Equal("deepspectrum-resnet18", meta["emmanet.model.audio_cnn.id"]);
        Assert.Contains("voice: DeepSpectrum", meta["emmanet.fusion.training"], StringComparison.Ordinal);

        var again = await Emmanet.RunAsync("analyze", TestPaths.FacesVideo, "-o", Run().Out.Path);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("0 done, 1 skipped, 0 failed", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fusion_model_that_fails_on_every_call_stops_the_run_with_its_own_exit_code_and_journal_line()
    {
        using var temp = new TempFolder();
        var sessions = new Batch.Models.SessionFactory(new Batch.Models.ExecutionOptions(Batch.Models.ExecutionDevice.Cpu), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        IReadOnlyDictionary<string, string> extractors;
        using (var fitting = new FusionModel(Path.Combine(TestPaths.Models, "fusion", "emmanet-default.onnx"), sessions))
        {
            extractors = fitting.Extractors;
        }
        // The right extractors, but a face feature of 100 values: every call fails, which is the model's failure, not a video's.
        var path = temp.File("wrong-size.onnx");
        OnnxModelFile.Save(FusionExport.Build(new FusionNetwork(new FusionConfig(FaceSize: 100, Hidden: 4, KeySize: 2, HeadHidden: 4)), extractors), path);

        var result = await Emmanet.RunAsync("analyze", TestPaths.FacesVideo, "--fusion", path, "-o", temp.File("out"));

        Assert.True(result.ExitCode == 3, result.Stderr);
        Assert.Contains("The run stopped: ArgumentException: window 0 has", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        var finished = DuckDb.Query($"SELECT exit_code FROM read_json('{Path.Combine(temp.File("out"), "emmanet-journal.jsonl")}') WHERE event = 'run_finished'");
        Assert.Equal(3, Assert.Single(finished).Count("exit_code"));
    }

    [Fact]
    public async Task Asking_for_log_mel_voice_features_with_a_model_trained_on_deepspectrum_is_refused_by_name()
    {
        using var temp = new TempFolder();
        var result = await Emmanet.RunAsync("analyze", TestPaths.Megamind, "--audio", "logmel", "-o", temp.File("out"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("emmanet-default.onnx does not fit these feature extractors: audio_cnn: the fusion model was trained on features from deepspectrum-resnet18", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fusion_model_trained_on_other_extractors_is_refused()
    {
        using var temp = new TempFolder();
        var network = new FusionNetwork(new FusionConfig(Hidden: 4, KeySize: 2, HeadHidden: 4));
        var path = temp.File("other.onnx");
        OnnxModelFile.Save(FusionExport.Build(network, new Dictionary<string, string> { ["face_expression"] = "some-other-cnn sha256:00" }), path);

        var result = await Emmanet.RunAsync("analyze", TestPaths.FacesVideo, "--fusion", path, "-o", temp.File("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("other.onnx does not fit these feature extractors: body_pose: the fusion model was trained on features from no such model", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")) && Directory.EnumerateFiles(temp.File("out")).Any());
    }
}

/// <summary><c>emmanet report</c> on the face sample's analyze output, plus a broken and a detections-only video.</summary>
public sealed class ReportCliTests
{
    [Fact]
    public async Task Report_draws_each_videos_timeline_and_a_summary_that_names_what_it_could_not_draw()
    {
        var analyzed = AnalyzeFusionTests.Output();
        using var temp = new TempFolder();
        var input = Directory.CreateDirectory(temp.File("in")).FullName;
        foreach (var file in Directory.EnumerateFiles(analyzed, "faces.*"))
        {
            File.Copy(file, Path.Combine(input, Path.GetFileName(file)));
        }
        File.Copy(Path.Combine(analyzed, "faces.faces.parquet"), Path.Combine(input, "lonely.faces.parquet"));
        await File.WriteAllTextAsync(Path.Combine(input, "broken.predictions.parquet"), "not parquet");
        var output = temp.File("report");

        var run = await Emmanet.RunAsync("report", input, "-o", output);

        Assert.Equal(1, run.ExitCode);   // two videos could not be reported
        using (var picture = SkiaSharp.SKBitmap.Decode(Path.Combine(output, "faces.timeline.png")))
        {
            // Three subjects shown, each with five panels: probabilities 330 px, labels 260, three heatmaps of 190.
            Assert.Equal((1400, 3 * (330 + 260 + (3 * 190))), (picture.Width, picture.Height));
            var colours = new HashSet<SkiaSharp.SKColor>();
            for (var y = 0; y < picture.Height; y += 7)
            {
                for (var x = 0; x < picture.Width; x += 7)
                {
                    colours.Add(picture.GetPixel(x, y));
                }
            }
            Assert.True(colours.Count > 100, $"{colours.Count} colours: the picture looks blank");
        }
        var page = await File.ReadAllTextAsync(Path.Combine(output, "faces.html"));
        Assert.Contains("<img src=\"faces.timeline.png\"", page, StringComparison.Ordinal);
        var index = await File.ReadAllTextAsync(Path.Combine(output, "index.html"));
        Assert.Contains("<a href=\"faces.html\">faces</a>", index, StringComparison.Ordinal);
        Assert.Contains("lonely: face detections but no predictions", index, StringComparison.Ordinal);
        Assert.Contains("broken: ", index, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "distribution.png")));
    }
}

/// <summary>The attention diagnostics analyze writes into its journal, by hand on known weights and read back from a real run.</summary>
public sealed class AttentionDiagnosticsTests
{
    [Fact]
    public void Entropy_own_first_last_and_top_position_are_counted_over_windows_with_two_present_steps()
    {
        var d = new AttentionDiagnostics(4);
        bool[][] all = [[true, true, true], [true, true, true], [true, true, true], [true, true, true]];
        bool[][] late = [[false, false, true], [true, false, true], [true, false, true], [true, true, true]];
        d.Add(all, [[0.25f, 0.25f, 0.25f, 0.25f], [0.7f, 0.1f, 0.1f, 0.1f], [0, 0, 1, 0]]);
        d.Add(late, [[0, 0.2f, 0.5f, 0.3f], [0, 0, 0, 1], [0.1f, 0.1f, 0.1f, 0.7f]]);
        var r = d.Result();
        // Face: two windows; the uniform one has entropy 1 (argmax on its first step, the first index at a tie), the
        // second's argmax is step 2, the own step (T / 2), over steps 1-3.
        Assert.Equal(2, r[0].Windows);
        var second = -((0.2 * Math.Log(0.2)) + (0.5 * Math.Log(0.5)) + (0.3 * Math.Log(0.3))) / Math.Log(3);
        Assert.Equal((1 + second) / 2, r[0].Entropy, 6);
        Assert.Equal((0.5, 0.5, 0.0), (r[0].OwnStep, r[0].FirstPresent, r[0].LastPresent));
        // Audio: the second window has one present step and does not count.
        Assert.Equal(1, r[1].Windows);
        Assert.Equal((1.0, 0, 1.0), (r[1].FirstPresent, r[1].TopPosition, r[1].TopPositionShare));
        Assert.True(r[1].IsPositional());
        // Pose: argmax on step 2 (own) then step 3 (last present): no position wins more than half.
        Assert.Equal((0.5, 0.0, 0.5, 0.5), (r[2].OwnStep, r[2].FirstPresent, r[2].LastPresent, r[2].TopPositionShare));
        Assert.False(r[2].IsPositional());
    }

    [Fact]
    public void Analyze_journals_each_videos_attention_per_modality()
    {
        var journal = Path.Combine(AnalyzeFusionTests.Output(), "emmanet-journal.jsonl");
        var rows = DuckDb.Query($"SELECT attention.face.windows AS face, attention.audio.windows AS audio, attention.pose.windows AS pose, attention.audio.first_present AS first, attention.face.entropy AS entropy FROM read_json('{journal}') WHERE event = 'video' AND status = 'done'");
        var row = rows[0];   // the first run; other tests re-run the folder (skipped videos carry no attention)
        Assert.True(row.Count("face") > 600 && row.Count("audio") > 0 && row.Count("pose") > 0);
        Assert.InRange(row.Number("first"), 0, 1);
        Assert.InRange(row.Number("entropy"), 0, 1);
    }
}
