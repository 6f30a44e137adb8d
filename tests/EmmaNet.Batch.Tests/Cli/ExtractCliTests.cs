using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary><c>emmanet extract</c> on the face sample and a clip without audio, run once for the class, read back with DuckDB.</summary>
[Collection(ClipsCollection.Name)]
public sealed class ExtractCliTests(GeneratedClips clips)
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (TempFolder Out, int ExitCode, string Stderr)? _run;

    private TempFolder Out => Run().Out;

    private (TempFolder Out, int ExitCode, string Stderr) Run()
    {
        Once.Wait();
        try
        {
            return _run ??= Extract(clips).GetAwaiter().GetResult();
        }
        finally
        {
            Once.Release();
        }
    }

    private static async Task<(TempFolder, int, string)> Extract(GeneratedClips clips)
    {
        var folder = new TempFolder();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        var result = await Emmanet.RunAsync("extract", TestPaths.FacesVideo, clips.Vfr, "--subject", "all", "-o", folder.Path);
        return (folder, result.ExitCode, result.Stderr);
    }

    private string Steps => Path.Combine(Out.Path, "faces.all.steps.parquet");

    private string Ticks => Path.Combine(Out.Path, "faces.all.ticks.parquet");

    [Fact]
    public void Both_videos_are_extracted()
    {
        Assert.True(Run().ExitCode == 0, Run().Stderr);
        Assert.True(File.Exists(Steps) && File.Exists(Ticks));
        Assert.True(File.Exists(Path.Combine(Out.Path, "vfr.all.steps.parquet")));
    }

    [Fact]
    public void Every_subject_has_every_tick_of_its_span_and_the_steps_around_it()
    {
        var subjects = DuckDb.Query($"SELECT count(DISTINCT subject) AS n FROM '{Steps}'").Single().Count("n");
        // 22 people over the six photos (3+3+3+4+5+4), each a track of its own.
        Assert.InRange(subjects, 20, 26);
        // With --subject all, a track's ticks run from its first to its last seen tick, and its steps from 10 steps
        // before its first seen step to 10 after its last, within the video's 60 steps.
        var ticks = DuckDb.Query($"SELECT subject, count(*) AS n, min(tick) AS lo, max(tick) AS hi, min(tick) FILTER (WHERE face_present) AS seen_lo, max(tick) FILTER (WHERE face_present) AS seen_hi FROM '{Ticks}' GROUP BY subject");
        Assert.All(ticks, r => Assert.Equal((r.Count("seen_lo"), r.Count("seen_hi"), r.Count("hi") - r.Count("lo") + 1), (r.Count("lo"), r.Count("hi"), r.Count("n"))));
        // Each face is seen for its photo's 5 s: 30 ticks.
        Assert.All(ticks, r => Assert.Equal(30, r.Count("n")));
        var steps = DuckDb.Query($"SELECT subject, count(*) AS n, min(step) AS lo, max(step) AS hi, min(step) FILTER (WHERE face_present) AS seen_lo, max(step) FILTER (WHERE face_present) AS seen_hi FROM '{Steps}' GROUP BY subject");
        Assert.All(steps, r =>
        {
            Assert.Equal(Math.Max(0, r.Count("seen_lo") - 10), r.Count("lo"));
            Assert.Equal(Math.Min(59, r.Count("seen_hi") + 10), r.Count("hi"));
            Assert.Equal(r.Count("hi") - r.Count("lo") + 1, r.Count("n"));
        });
    }

    [Fact]
    public void Masks_agree_with_the_feature_columns()
    {
        var bad = DuckDb.Query($"""
            SELECT count(*) AS n FROM '{Steps}'
            WHERE (face_present AND face_emb_000 IS NULL) OR (NOT face_present AND face_logp_happy IS NOT NULL)
               OR (pose_present AND pose_nose_c IS NULL) OR (NOT pose_present AND pose_left_shoulder_x IS NOT NULL)
               OR (audio_present <> (speech_prob >= 0.5))
            """).Single().Count("n");
        Assert.Equal(0, bad);
        var tickBad = DuckDb.Query($"SELECT count(*) AS n FROM '{Ticks}' WHERE face_present <> (x1 IS NOT NULL) OR face_present <> (face_emb_255 IS NOT NULL)").Single().Count("n");
        Assert.Equal(0, tickBad);
    }

    [Fact]
    public void A_subject_is_present_only_while_its_photo_is_shown_and_its_body_is_found_then()
    {
        // Each photo's people are different tracks: a subject's face ticks all fall inside one 5 s photo.
        var spans = DuckDb.Query($"SELECT subject, min(time_s) AS t0, max(time_s) AS t1 FROM '{Ticks}' WHERE face_present GROUP BY subject");
        Assert.All(spans, r => Assert.Equal(Math.Floor(r["t0"].GetDouble() / 5), Math.Floor(r["t1"].GetDouble() / 5)));
        var pose = DuckDb.Query($"SELECT sum(pose_present::int) AS pose, sum(face_present::int) AS face FROM '{Steps}'").Single();
        Assert.True(pose.Count("pose") >= pose.Count("face") / 2, $"pose in {pose.Count("pose")} of {pose.Count("face")} face steps");
    }

    [Fact]
    public void Speech_is_present_in_the_spoken_part_of_each_photo()
    {
        // Each photo's voice runs from 0.5 s to about 3 s: whole windows of speech at 1.0-2.5 s, of silence at 3.5-4.5 s.
        var speech = DuckDb.Query(
            $"SELECT (time_s % 5) BETWEEN 1.0 AND 2.5 AS spoken, avg(audio_present::int) AS share FROM '{Steps}' " +
            $"WHERE subject = (SELECT min(subject) FROM '{Steps}') AND ((time_s % 5) BETWEEN 1.0 AND 2.5 OR (time_s % 5) BETWEEN 3.5 AND 4.5) GROUP BY 1");
        Assert.True(speech.Single(r => r["spoken"].GetBoolean())["share"].GetDouble() > 0.8);
        Assert.True(speech.Single(r => !r["spoken"].GetBoolean())["share"].GetDouble() < 0.2);
    }

    [Fact]
    public void A_video_without_audio_has_no_audio_present_and_metadata_names_the_extractors()
    {
        var vfr = Path.Combine(Out.Path, "vfr.all.steps.parquet");
        Assert.Equal(0, DuckDb.Query($"SELECT count(*) AS n FROM '{vfr}' WHERE audio_present").Single().Count("n"));
        var meta = DuckDb.Query($"SELECT key::VARCHAR AS k, value::VARCHAR AS v FROM parquet_kv_metadata('{Steps}')").ToDictionary(r => r.Text("k"), r => r.Text("v"));
        Assert.Equal("features/2", meta["emmanet.schema"]);
        Assert.Equal("all", meta["emmanet.subject_choice"]);
        Assert.Equal("2", meta["emmanet.step_hz"]);
        Assert.Equal("6", meta["emmanet.face_stream_hz"]);
        foreach (var role in new[] { "face_detector", "face_expression", "body_pose", "voice_activity" })
        {
            Assert.Matches("^[0-9a-f]{64}$", meta[$"emmanet.model.{role}.sha256"]);
        }
        Assert.Equal("angry,disgust,fear,happy,sad,surprise,neutral", meta["emmanet.expression_classes"]);
    }
}
