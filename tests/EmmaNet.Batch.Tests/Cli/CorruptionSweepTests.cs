using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>
/// A corruption sweep: deterministic corrupted copies of two short sample clips (<see cref="Corruptions"/>), analysed
/// as one batch with the two intact clips mixed in. No input may take the batch down: no unhandled exception, an
/// outcome line and a journal line for every input, the run ends (exit 0 or 1, within a time limit), and the intact
/// clips' predictions equal a run of them alone. 32 corrupted files here; <c>EMMANET_SWEEP_FILES=N</c> makes N.
/// </summary>
public sealed class CorruptionSweepTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Corrupted_inputs_fail_or_warn_alone_and_never_stop_the_batch()
    {
        using var folder = new TempFolder();
        var clips = Directory.CreateDirectory(folder.File("clips")).FullName;
        var good = new[] { Path.Combine(clips, "good-faces.mp4"), Path.Combine(clips, "good-megamind.avi") };
        GeneratedClips.Run("ffmpeg", $"-v error -y -i \"{TestPaths.FacesVideo}\" -t 6 -c copy \"{good[0]}\"");
        GeneratedClips.Run("ffmpeg", $"-v error -y -i \"{TestPaths.Megamind}\" -t 5 -c copy \"{good[1]}\"");
        var count = int.TryParse(Environment.GetEnvironmentVariable("EMMANET_SWEEP_FILES"), CultureInfo.InvariantCulture, out var n) ? n : 32;
        var corrupted = Corruptions.Make(good, count, seed: 19, clips);

        var alone = await Emmanet.RunAsync(["analyze", .. good, "-o", folder.File("alone")]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The batch's time limit: a hang (a reader or decoder stuck on a damaged file) ends the test.
        var sweep = await Emmanet.RunWithLimitAsync(TimeSpan.FromSeconds(60 + (3.0 * count)), "analyze", clips, "-o", folder.File("sweep"));
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(sweep.ExitCode is 0 or 1, $"exit {sweep.ExitCode}: {sweep.Stderr}");
        Assert.DoesNotContain("Unhandled exception", sweep.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", sweep.Stderr, StringComparison.Ordinal);   // no stack trace

        var lines = File.ReadAllLines(Path.Combine(folder.File("sweep"), "emmanet-journal.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var videos = lines.Where(l => l.GetProperty("event").GetString() == "video").ToList();
        var inputs = corrupted.Concat(good).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(inputs, videos.Select(v => v.GetProperty("video").GetString()!).Order(StringComparer.Ordinal).ToList());
        Assert.Single(lines, l => l.GetProperty("event").GetString() == "run_finished");
        foreach (var v in videos.Where(v => v.GetProperty("status").GetString() == "failed"))
        {
            var message = v.GetProperty("message").GetString()!;
            Assert.Contains(Path.GetFileName(v.GetProperty("video").GetString()!), message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', message);
        }
        var byStatus = videos.GroupBy(v => v.GetProperty("status").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        var warned = videos.Count(v => v.GetProperty("status").GetString() == "done" && v.GetProperty("warnings").GetArrayLength() > 0);
        output.WriteLine($"sweep of {count} corrupted + 2 intact files in {seconds:F1} s: " + string.Join(", ", byStatus.Select(kv => $"{kv.Key} {kv.Value}")) + $" ({warned} done with a warning)");
        foreach (var kind in videos.GroupBy(v => Path.GetFileNameWithoutExtension(v.GetProperty("video").GetString()!).Split('-', 2) is [var c, var k] && c.StartsWith('c') ? k : "intact"))
        {
            string Outcome(JsonElement v) => v.GetProperty("status").GetString() == "done" && v.GetProperty("warnings").GetArrayLength() > 0 ? "warned" : v.GetProperty("status").GetString()!;
            output.WriteLine($"  {kind.Key}: " + string.Join(", ", kind.GroupBy(Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        }

        foreach (var clip in good)
        {
            var stem = Path.GetFileNameWithoutExtension(clip);
            string Rows(string run) => string.Join("\n", DuckDb.Query($"SELECT subject, frame_index, label, round(prob_happiness, 5) AS p FROM '{Path.Combine(folder.File(run), stem + ".predictions.parquet")}' ORDER BY ALL").Select(r => JsonSerializer.Serialize(r)));
            Assert.Equal(Rows("alone"), Rows("sweep"));
        }
    }

    /// <summary>
    /// The 1,000-file sweep's stall (c0791-header.avi): header damage that raised the video stream's time scale
    /// (dwScale 125 -> 16,711,805) spread 120 frames over 7.7 days, and the voice features were computed for every
    /// half second of it. The timeline now holds only the steps near frames and sound.
    /// </summary>
    [Fact(Timeout = 180000)]
    public async Task A_header_that_spreads_a_few_frames_over_days_is_analysed_quickly_with_a_warning()
    {
        using var folder = new TempFolder();
        var clip = folder.File("stretched.avi");
        GeneratedClips.Run("ffmpeg", $"-v error -y -i \"{TestPaths.Megamind}\" -t 5 -c copy \"{clip}\"");
        var bytes = File.ReadAllBytes(clip);
        var strh = bytes.AsSpan().IndexOf("strh"u8);
        Assert.True(strh > 0 && bytes.AsSpan(strh + 8, 4).SequenceEqual("vids"u8), "the first stream header is not the video's");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(strh + 28), 16_711_805);   // dwScale
        File.WriteAllBytes(clip, bytes);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await Emmanet.RunWithLimitAsync(TimeSpan.FromSeconds(150), "analyze", clip, "-o", folder.File("out"));
        output.WriteLine($"stretched.avi analysed in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"stretched\.avi: \d+ frames spread over \d+\.\d h \(one every \d+ s\): the file's time base looks damaged", run.Stderr);
        // Every decoded frame is in the faces table (frames an hour and a half apart make no track, hence no subject).
        var faces = Path.Combine(folder.File("out"), "stretched.faces.parquet");
        Assert.Equal(120, DuckDb.Query($"SELECT count(DISTINCT frame_index) AS n FROM '{faces}'")[0].Count("n"));
    }
}
