using System.Globalization;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>
/// A re-run trusts an output only when it was made from this very input (path, size, time, content) with these
/// models and this subject choice; otherwise it analyses again and says why, in the log and the journal.
/// </summary>
public sealed class ResumeIdentityTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private string Clip(string relative, double start)
    {
        var path = _temp.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        GeneratedClips.Run("ffmpeg", string.Create(CultureInfo.InvariantCulture,
            $"-v error -y -ss {start} -t 1.5 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac \"{path}\""));
        return path;
    }

    private string Out => _temp.File("out");

    private static string Meta(string parquet, string key) =>
        DuckDb.Query($"SELECT value::VARCHAR AS v FROM parquet_kv_metadata('{parquet}') WHERE key::VARCHAR = 'emmanet.{key}'")[0].Text("v");

    private static string VideoOf(string parquet) => Meta(parquet, "input.path");

    [Fact(Timeout = 300000)]
    public async Task Two_videos_with_one_name_never_share_outputs_and_a_changed_input_is_redone_with_its_reason()
    {
        var a = Clip("a/clip.mp4", 1);
        var b = Clip("b/clip.mp4", 11);
        Assert.Equal(0, (await Emmanet.RunAsync("analyze", a, "-o", Out)).ExitCode);
        var second = await Emmanet.RunAsync("analyze", b, "-o", Out);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("1 done, 0 skipped", second.Stderr, StringComparison.Ordinal);
        var hashed = Path.Combine(Out, Batch.Inputs.InputScanner.HashedStem("clip", b) + ".predictions.parquet");
        Assert.True(File.Exists(hashed), "the second clip.mp4 gets the hashed name");
        Assert.Equal(a, VideoOf(Path.Combine(Out, "clip.predictions.parquet")));
        Assert.Equal(b, VideoOf(hashed));

        // Both again, in one run: each keeps its own name and both are skipped.
        var both = await Emmanet.RunAsync("analyze", a, b, "-o", Out);
        Assert.Equal(0, both.ExitCode);
        Assert.Equal(2, both.Stderr.Split('\n').Count(l => l.Contains("skipped, output already complete", StringComparison.Ordinal)));

        // Replaced under the same name: analysed again, and the journal says why.
        Clip("a/clip.mp4", 16);
        var replaced = await Emmanet.RunAsync("analyze", a, "-o", Out);
        Assert.Equal(0, replaced.ExitCode);
        Assert.Contains($"{a}: analysing again: the input changed since", replaced.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"event\":\"redo\"", File.ReadAllText(Path.Combine(Out, "emmanet-journal.jsonl")), StringComparison.Ordinal);

        // Another subject choice over the same outputs: redone, not skipped.
        var left = await Emmanet.RunAsync("analyze", a, "-o", Out, "--subject", "left");
        Assert.Contains("analysing again: it holds subject choice 'all', this run asks for 'left'", left.Stderr, StringComparison.Ordinal);
        Assert.Equal("left", Meta(Path.Combine(Out, "clip.predictions.parquet"), "subject_choice"));
    }

    [Fact(Timeout = 180000)]
    public async Task A_touched_input_or_another_fusion_model_is_redone_and_the_same_run_again_is_skipped()
    {
        var clip = Clip("t.mp4", 1);
        Assert.Equal(0, (await Emmanet.RunAsync("analyze", clip, "-o", Out)).ExitCode);
        File.SetLastWriteTimeUtc(clip, File.GetLastWriteTimeUtc(clip).AddSeconds(5));
        var touched = await Emmanet.RunAsync("analyze", clip, "-o", Out);
        Assert.Contains($"{clip}: analysing again: the input changed since (modified", touched.Stderr, StringComparison.Ordinal);

        // The default model with a doc_string appended (ModelProto field 6): the same network, another sha256.
        var other = _temp.File("other.onnx");
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Models, "fusion", "emmanet-default.onnx"));
        File.WriteAllBytes(other, [.. bytes, 0x32, 5, .. "other"u8.ToArray()]);
        var refit = await Emmanet.RunAsync("analyze", clip, "-o", Out, "--fusion", other);
        Assert.Equal(0, refit.ExitCode);
        Assert.Contains("analysing again: it was made with another fusion model (sha256 ", refit.Stderr, StringComparison.Ordinal);
        var again = await Emmanet.RunAsync("analyze", clip, "-o", Out, "--fusion", other);
        Assert.Contains("skipped, output already complete", again.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_damaged_default_fusion_model_or_a_broken_one_is_exit_2_naming_the_file()
    {
        var clip = Clip("c.mp4", 1);
        // A copy of the models folder whose default fusion model has one bit changed.
        var models = _temp.File("models");
        Directory.CreateDirectory(Path.Combine(models, "fusion"));
        foreach (var file in Directory.EnumerateFiles(TestPaths.Models, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.cache/", StringComparison.Ordinal)))
        {
            var target = Path.Combine(models, Path.GetRelativePath(TestPaths.Models, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, file);
        }
        var fusion = Path.Combine(models, "fusion", "emmanet-default.onnx");
        File.Delete(fusion);
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Models, "fusion", "emmanet-default.onnx"));
        bytes[^100] ^= 1;
        File.WriteAllBytes(fusion, bytes);
        var flipped = await Emmanet.RunAsync("analyze", clip, "-o", Out, "--models", models);
        Assert.Equal(2, flipped.ExitCode);
        Assert.Contains($"{fusion} is corrupted: sha256", flipped.Stderr, StringComparison.Ordinal);
        Assert.Contains("scripts/train-default-fusion.sh", flipped.Stderr, StringComparison.Ordinal);
        var verify = await Emmanet.RunAsync("models", "verify", "--models", models);
        Assert.Equal(2, verify.ExitCode);
        Assert.Contains("FAILED", verify.Stdout, StringComparison.Ordinal);

        foreach (var (name, content) in new[] { ("empty.onnx", Array.Empty<byte>()), ("cut.onnx", bytes[..30000]), ("text.onnx", "hello\n"u8.ToArray()) })
        {
            var broken = _temp.File(name);
            File.WriteAllBytes(broken, content);
            var run = await Emmanet.RunAsync("analyze", clip, "-o", Out, "--fusion", broken);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"{broken}: not a loadable ONNX model", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task A_file_still_being_written_is_noticed_and_redone_by_the_next_run()
    {
        var growing = _temp.File("growing.ts");
        // ffmpeg writing in real time (-re): 8 s of video, of which the analysis sees the first part.
        using var writer = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ffmpeg",
            ["-v", "error", "-re", "-t", "8", "-i", TestPaths.FacesVideo, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-flush_packets", "1", "-f", "mpegts", growing])
        { RedirectStandardError = true })!;
        while (!File.Exists(growing) || new FileInfo(growing).Length < 300_000)
        {
            Assert.False(writer.HasExited, "the writer ended before the test could start");
            await Task.Delay(100);
        }
        var during = await Emmanet.RunAsync("analyze", growing, "-o", Out);
        Assert.Contains("the file changed while it was analysed", during.Stderr, StringComparison.Ordinal);
        await writer.WaitForExitAsync();
        var after = await Emmanet.RunAsync("analyze", growing, "-o", Out);
        Assert.Equal(0, after.ExitCode);
        Assert.Contains($"{growing}: analysing again: the input changed since", after.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_download_cut_in_half_is_done_with_a_warning_and_its_outputs_marked_partial()
    {
        // The index at the front (faststart): the container promises all 6 s, the bytes hold about half.
        var whole = _temp.File("whole.mp4");
        GeneratedClips.Run("ffmpeg", $"-v error -y -t 6 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac -movflags +faststart \"{whole}\"");
        var cut = _temp.File("cut.mp4");
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var run = await Emmanet.RunAsync("analyze", cut, whole, "-o", Out);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("s the container promises: the file looks cut or unfinished", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, run.Stderr.Split('\n').Count(l => l.Contains("the container promises", StringComparison.Ordinal)));
        foreach (var suffix in new[] { ".faces.parquet", ".predictions.parquet", ".attention.parquet" })
        {
            Assert.Equal("true", Meta(Path.Combine(Out, "cut" + suffix), "input.partial"));
            Assert.Equal("false", Meta(Path.Combine(Out, "whole" + suffix), "input.partial"));
        }
        var decoded = double.Parse(Meta(Path.Combine(Out, "cut.predictions.parquet"), "input.decoded_s"), CultureInfo.InvariantCulture);
        Assert.InRange(decoded, 1, 5);
        Assert.Equal(6, double.Parse(Meta(Path.Combine(Out, "cut.predictions.parquet"), "input.promised_s"), CultureInfo.InvariantCulture), 0.2);
    }

    [Fact(Timeout = 180000)]
    public async Task A_cancelled_run_journals_the_videos_it_finished()
    {
        foreach (var (name, start) in new[] { ("first", 1.0), ("second", 6.0), ("third", 11.0), ("fourth", 16.0) })
        {
            Clip($"in/{name}.mp4", start);
        }
        var done = Path.Combine(Out, "first.predictions.parquet");
        // SIGINT once the first video's predictions exist.
        var stop = await Emmanet.InterruptWhenAsync(done, _temp.File("log"), "analyze", _temp.File("in"), "-o", Out, "--videos-in-flight", "1");
        var log = File.ReadAllText(_temp.File("log"));
        Assert.True(stop.Stdout.Trim() == "exit 130", stop.Stdout + log);
        var finished = File.ReadAllLines(Path.Combine(Out, "emmanet-journal.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("event").GetString() == "run_finished");
        var videos = File.ReadAllLines(Path.Combine(Out, "emmanet-journal.jsonl")).Count(l => l.Contains("\"event\":\"video\"", StringComparison.Ordinal) && l.Contains("\"status\":\"done\"", StringComparison.Ordinal));
        Assert.Equal(130, finished.GetProperty("exit_code").GetInt32());
        Assert.InRange(videos, 1, 3);
        Assert.Equal(videos, finished.GetProperty("done").GetInt32());
        Assert.Contains($"Cancelled after {videos} done", log, StringComparison.Ordinal);
    }

    /// <summary>Rewrites an mp4's movie, track and media durations (version-0 boxes) to <paramref name="seconds"/>, leaving every frame in place.</summary>
    private static void UnderReport(string mp4, double seconds)
    {
        var bytes = File.ReadAllBytes(mp4);
        static uint Read(byte[] b, int at) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
        static void Write(byte[] b, int at, uint v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        var mvhd = bytes.AsSpan().IndexOf("mvhd"u8);
        var movieScale = Read(bytes, mvhd + 16);
        foreach (var (tag, scaleAt, durationAt) in new[] { ("mvhd", 16, 20), ("mdhd", 16, 20), ("tkhd", -1, 24) })
        {
            var tagBytes = System.Text.Encoding.ASCII.GetBytes(tag);
            for (var at = bytes.AsSpan().IndexOf(tagBytes); at >= 0; at = bytes.AsSpan(at + 4).IndexOf(tagBytes) is var next and >= 0 ? at + 4 + next : -1)
            {
                Assert.Equal(0, bytes[at + 4]);   // version 0: 32-bit fields
                var scale = scaleAt < 0 ? movieScale : Read(bytes, at + scaleAt);
                Write(bytes, at + durationAt, (uint)(scale * seconds));
            }
        }
        File.WriteAllBytes(mp4, bytes);
    }

    [Fact(Timeout = 120000)]
    public async Task A_container_that_under_reports_its_duration_still_gets_predictions_for_every_decoded_frame()
    {
        var clip = _temp.File("claims-less.mp4");
        GeneratedClips.Run("ffmpeg", $"-v error -y -t 12 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac \"{clip}\"");
        UnderReport(clip, 1.8);
        var run = await Emmanet.RunAsync("analyze", clip, "-o", Out, "--subject", "largest");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"the container says 1\.8 s but 12\.\d s of video were decoded: its duration is under-reported", run.Stderr);
        Assert.DoesNotContain("the audio stream ends", run.Stderr, StringComparison.Ordinal);
        var predictions = Path.Combine(Out, "claims-less.predictions.parquet");
        var decoded = long.Parse(Meta(predictions, "video_frame_count"), CultureInfo.InvariantCulture);
        var frames = DuckDb.Query($"SELECT count(DISTINCT frame_index) AS n, max(frame_index) AS last FROM '{predictions}'")[0];
        Assert.InRange(decoded, 355, 365);   // about 12 s at 30 fps, not the 54 frames the container admits to
        Assert.Equal(decoded, frames.Count("n"));   // every decoded frame has its prediction
        Assert.Equal(decoded - 1, frames.Count("last"));
        // The voice is read past the reported end too: the clip's speech shows in the steps after 2 s.
        var features = Path.Combine(Out, "features");
        Assert.Equal(0, (await Emmanet.RunAsync("extract", clip, "-o", features)).ExitCode);
        var voice = DuckDb.Query($"SELECT count(*) AS steps, count(*) FILTER (WHERE audio_present) AS speech FROM '{Path.Combine(features, "claims-less.largest.steps.parquet")}' WHERE time_s >= 2")[0];
        Assert.InRange(voice.Count("steps"), 19, 21);
        Assert.True(voice.Count("speech") >= 5, $"{voice.Count("speech")} steps with speech after 2 s");
    }

    [Fact(Timeout = 120000)]
    public async Task A_stream_whose_second_half_is_damaged_is_marked_partial_by_where_decoding_stopped()
    {
        // MPEG-TS states no duration: ffprobe estimates it from what it can read, so the promise cannot show the loss.
        var intact = _temp.File("intact.ts");
        GeneratedClips.Run("ffmpeg", $"-v error -y -t 12 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -c:a aac \"{intact}\"");
        var damaged = _temp.File("damaged.ts");
        var bytes = File.ReadAllBytes(intact);
        Array.Clear(bytes, bytes.Length / 2, bytes.Length - (bytes.Length / 2));
        File.WriteAllBytes(damaged, bytes);
        var run = await Emmanet.RunAsync("analyze", intact, damaged, "-o", Out, "--no-fusion");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"damaged\.ts: decoding stopped at byte [\d,]+ of [\d,]+ \(5\d% of the file not decoded\)", run.Stderr);
        Assert.DoesNotContain("intact.ts: decoding stopped", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("true", Meta(Path.Combine(Out, "damaged.faces.parquet"), "input.partial"));
        Assert.Equal("false", Meta(Path.Combine(Out, "intact.faces.parquet"), "input.partial"));
    }

    [Fact(Timeout = 120000)]
    public async Task Audio_that_ends_before_the_video_is_said_and_intact_media_get_no_such_warning()
    {
        var clip = _temp.File("short-voice.mp4");
        GeneratedClips.Run("ffmpeg", $"-v error -y -t 6 -i \"{TestPaths.FacesVideo}\" -filter_complex \"[0:a]atrim=0:2[a]\" -map 0:v -map \"[a]\" -c:v libx264 -preset ultrafast -c:a aac \"{clip}\"");
        var whole = Clip("whole-voice.mp4", 1);
        var run = await Emmanet.RunAsync("analyze", clip, whole, "-o", Out);
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"short-voice\.mp4: the audio stream ends at 2\.0 s of 6\.\d s of video: the voice is absent after it", run.Stderr);
        Assert.DoesNotContain("whole-voice.mp4: the audio stream ends", run.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
