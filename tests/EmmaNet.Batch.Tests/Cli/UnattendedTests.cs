using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>Four 2 s clips of the face sample (photos 1, 3, 4 and 6), made once for the class, and one uninterrupted analyze of them.</summary>
public sealed class FaceClips : IDisposable
{
    private readonly TempFolder _folder = new();

    public FaceClips()
    {
        Directory.CreateDirectory(Folder);
        foreach (var (photo, name) in new[] { (0, "one"), (2, "three"), (3, "four"), (5, "six") })
        {
            GeneratedClips.Run("ffmpeg", string.Create(CultureInfo.InvariantCulture,
                $"-v error -y -ss {(photo * 5) + 1} -t 2 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac \"{Path.Combine(Folder, name + ".mp4")}\""));
        }
        var reference = Emmanet.RunAsync("analyze", Folder, "-o", Reference).GetAwaiter().GetResult();
        if (reference.ExitCode != 0)
        {
            throw new InvalidOperationException("reference analyze failed: " + reference.Stderr);
        }
    }

    public string Folder => _folder.File("clips");

    public string Reference => _folder.File("reference");

    public IEnumerable<string> Stems => ["one", "three", "four", "six"];

    public void Dispose() => _folder.Dispose();
}

/// <summary>What cron jobs and clusters rely on: the lock, the journal, shards, and runs killed at any moment.</summary>
public sealed class UnattendedTests(FaceClips clips) : IClassFixture<FaceClips>, IDisposable
{
    private static readonly string[] Kinds = ["faces", "predictions", "attention"];
    private readonly TempFolder _temp = new();

    /// <summary>Every row of every output of a video, in a fixed order, as DuckDB reads it.</summary>
    private static string Rows(string folder, string stem, string kind) =>
        JsonSerializer.Serialize(DuckDb.Query($"SELECT * FROM '{Path.Combine(folder, $"{stem}.{kind}.parquet")}' ORDER BY ALL"));

    [Fact]
    public async Task A_second_run_on_a_locked_folder_exits_75_naming_the_holder_and_a_dead_holders_lock_is_taken_over()
    {
        var output = _temp.File("out");
        var (held, _) = await RunLock.TryAcquireAsync(output, Shard.Whole, TimeSpan.Zero, CancellationToken.None);
        using (held)
        {
            var blocked = await Emmanet.RunAsync("analyze", Path.Combine(clips.Folder, "one.mp4"), "-o", output);
            Assert.Equal(75, blocked.ExitCode);
            Assert.Contains($"another emmanet run is writing here (pid {Environment.ProcessId} on", blocked.Stderr, StringComparison.Ordinal);
        }
        // The lock file stays behind, as after a SIGKILL; nobody holds it, so the next run takes it.
        Assert.True(File.Exists(RunLock.PathFor(output, Shard.Whole)));
        var next = await Emmanet.RunAsync("analyze", Path.Combine(clips.Folder, "one.mp4"), "-o", output);
        Assert.True(next.ExitCode == 0, next.Stderr);
    }

    [Fact]
    public async Task The_journal_records_the_run_each_video_and_the_exit_code()
    {
        var output = _temp.File("out");
        var broken = _temp.File("broken.mp4");
        await File.WriteAllTextAsync(broken, "not a video");
        var first = await Emmanet.RunAsync("analyze", Path.Combine(clips.Folder, "one.mp4"), broken, _temp.File("gone.mp4"), "-o", output);
        Assert.Equal(1, first.ExitCode);
        var second = await Emmanet.RunAsync("analyze", Path.Combine(clips.Folder, "one.mp4"), "-o", output);
        Assert.Equal(0, second.ExitCode);

        var lines = (await File.ReadAllLinesAsync(Path.Combine(output, "emmanet-journal.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string Event(JsonElement e) => e.GetProperty("event").GetString()!;
        Assert.Equal(["run_started", "video", "video", "video", "run_finished", "run_started", "video", "run_finished"], lines.Select(Event));
        var started = lines.First(l => Event(l) == "run_started");
        Assert.Equal("analyze", started.GetProperty("command").GetString());
        Assert.Equal("CPUExecutionProvider", started.GetProperty("models").GetProperty("fusion").GetProperty("provider").GetString());
        var videos = lines.Where(l => Event(l) == "video").ToList();
        Assert.Contains(videos, v => v.GetProperty("status").GetString() == "failed" && v.GetProperty("message").GetString()!.Contains("broken.mp4: not a readable media file", StringComparison.Ordinal));
        Assert.Contains(videos, v => v.GetProperty("status").GetString() == "failed" && v.GetProperty("message").GetString()!.Contains("gone.mp4: file not found", StringComparison.Ordinal));
        Assert.Equal(["done", "skipped"], videos.Where(v => v.GetProperty("video").GetString()!.EndsWith("/one.mp4", StringComparison.Ordinal)).Select(v => v.GetProperty("status").GetString()!));
        Assert.Equal([1, 0], lines.Where(l => Event(l) == "run_finished").Select(l => l.GetProperty("exit_code").GetInt32()));
        // Each run has its own id, shared by its lines.
        Assert.Equal(2, lines.Select(l => l.GetProperty("run").GetString()).Distinct().Count());
    }

    /// <summary>
    /// A stage that fails as a whole (EMMANET_FAULT): exit 3 naming the failure, the journal closed with run_finished,
    /// every video accounted for once (done, or unfinished with the reason), and nothing half-written left.
    /// </summary>
    [Theory]
    [InlineData("decode")]
    [InlineData("audio")]
    [InlineData("face_detector")]
    [InlineData("mesh")]
    [InlineData("expression")]
    [InlineData("identity")]
    [InlineData("pose")]
    [InlineData("assemble")]
    [InlineData("fusion")]
    [InlineData("write")]
    public async Task A_stage_failing_as_a_whole_exits_3_and_journals_every_video_once(string stage)
    {
        var output = _temp.File("out-" + stage);
        var run = await Emmanet.RunAsync(new Dictionary<string, string> { [Batch.Pipeline.FaultInjection.Variable] = stage }, "analyze", clips.Folder, "-o", output);
        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains($"a fault injected in the {stage} stage", run.Stderr, StringComparison.Ordinal);

        var lines = (await File.ReadAllLinesAsync(Path.Combine(output, "emmanet-journal.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string Event(JsonElement e) => e.GetProperty("event").GetString()!;
        Assert.Equal("run_started", Event(lines[0]));
        Assert.Equal("run_finished", Event(lines[^1]));
        Assert.Equal(3, lines[^1].GetProperty("exit_code").GetInt32());
        var videos = lines.Where(l => Event(l) == "video").ToList();
        Assert.Equal(clips.Stems.Order(StringComparer.Ordinal), videos.Select(v => Path.GetFileNameWithoutExtension(v.GetProperty("video").GetString()!)).Order(StringComparer.Ordinal));
        Assert.All(videos.Where(v => v.GetProperty("status").GetString() == "unfinished"), v => Assert.Contains(stage, v.GetProperty("message").GetString(), StringComparison.Ordinal));
        var finished = lines[^1];
        Assert.Equal(videos.Count, finished.GetProperty("done").GetInt32() + finished.GetProperty("skipped").GetInt32() + finished.GetProperty("failed").GetInt32() + finished.GetProperty("unfinished").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Two_shards_split_the_videos_and_their_outputs_form_one_dataset()
    {
        var output = _temp.File("out");
        var zero = await Emmanet.RunAsync("analyze", clips.Folder, "-o", output, "--shard", "0/2");
        var one = await Emmanet.RunAsync(new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "1", ["SLURM_ARRAY_TASK_COUNT"] = "2" }, "analyze", clips.Folder, "-o", output);
        Assert.True(zero.ExitCode == 0, zero.Stderr);
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Contains("Shard 1/2", one.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "emmanet-journal.shard-0-of-2.jsonl")) && File.Exists(Path.Combine(output, "emmanet-journal.shard-1-of-2.jsonl")));

        // Each video analysed by exactly the shard its name hashes to, and one glob reads them all.
        foreach (var stem in clips.Stems)
        {
            var owner = (int)(Shard.HashOf(stem) % 2);
            var journal = await File.ReadAllTextAsync(Path.Combine(output, $"emmanet-journal.shard-{owner}-of-2.jsonl"));
            Assert.Contains($"{stem}.mp4", journal, StringComparison.Ordinal);
            Assert.DoesNotContain($"{stem}.mp4", await File.ReadAllTextAsync(Path.Combine(output, $"emmanet-journal.shard-{1 - owner}-of-2.jsonl")), StringComparison.Ordinal);
        }
        var all = DuckDb.Query($"SELECT count(DISTINCT video_id) AS n FROM '{output}/*.predictions.parquet'").Single().Count("n");
        Assert.Equal(4, all);
    }

    [Fact(Timeout = 300000)]
    public async Task Runs_killed_at_random_moments_leave_nothing_half_written_and_the_rerun_equals_an_uninterrupted_run()
    {
        var output = _temp.File("out");
        var random = new Random(20261124);
        var killedMidRun = 0;
        for (var attempt = 0; attempt < 6; attempt++)
        {
            // --force makes every attempt redo all four videos, so each kill lands in real work (loading models,
            // decoding, writing or renaming) rather than after an almost empty resumed run.
            using var process = Emmanet.Start(new Dictionary<string, string>(), ["analyze", clips.Folder, "-o", output, "--force"]);
            // A whole forced run takes about 2.6 s here (about 0.6 s of it starting up and loading models).
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(700, 2500)));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);   // SIGKILL: no cleanup runs
                killedMidRun++;
            }
            await process.WaitForExitAsync();
            // Whatever is visible under a final name is complete: DuckDB reads every row of it.
            foreach (var file in Directory.Exists(output) ? Directory.EnumerateFiles(output, "*.parquet") : [])
            {
                DuckDb.Query($"SELECT count(*) AS n FROM '{file}'");
            }
        }
        Assert.True(killedMidRun >= 4, $"only {killedMidRun} of 6 runs were still running when killed");
        var finish = await Emmanet.RunAsync("analyze", clips.Folder, "-o", output);
        Assert.True(finish.ExitCode == 0, finish.Stderr);
        Assert.Empty(Directory.EnumerateFiles(output, ".*.tmp"));
        foreach (var stem in clips.Stems)
        {
            foreach (var kind in Kinds)
            {
                Assert.True(Rows(clips.Reference, stem, kind) == Rows(output, stem, kind), $"{stem}.{kind}.parquet differs from the uninterrupted run");
            }
        }
    }

    public void Dispose() => _temp.Dispose();
}
