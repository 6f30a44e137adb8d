using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>The <c>emmanet</c> program as a user runs it: one-line errors naming the file, and exit codes.</summary>
[Collection(ClipsCollection.Name)]
public sealed class AnalyzeCliTests(GeneratedClips clips) : IDisposable
{
    private readonly TempFolder _temp = new();

    private static async Task<(int ExitCode, string Stderr)> Emmanet(params string[] args)
    {
        var result = await Support.Emmanet.RunAsync(args);
        return (result.ExitCode, result.Stderr);
    }

    [Fact(Timeout = 120000)]
    public async Task Bad_inputs_each_get_one_line_naming_the_file_and_the_batch_goes_on()
    {
        var missing = _temp.File("missing.mp4");
        var empty = _temp.File("empty.mp4");
        var text = _temp.File("notes.avi");
        await File.WriteAllBytesAsync(empty, []);
        await File.WriteAllTextAsync(text, "not a video");
        var output = _temp.File("out");

        var dangling = _temp.File("dangling.mp4");
        File.CreateSymbolicLink(dangling, _temp.File("gone.mp4"));
        var fifo = _temp.File("pipe.mp4");
        GeneratedClips.Run("mkfifo", $"\"{fifo}\"");   // opening it to read would block: it must never be opened

        var (code, stderr) = await Emmanet("analyze", missing, empty, text, dangling, fifo, TestPaths.MegamindBugy, clips.Vfr, "-o", output);

        Assert.Equal(1, code);
        var lines = stderr.Split('\n');
        Assert.Contains(lines, l => l.Contains($"{missing}: file not found", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"failed: {missing}: file not found", StringComparison.Ordinal));   // in the end-of-run list too
        Assert.Contains(lines, l => l.Contains($"{dangling}: file not found (a symbolic link to {_temp.File("gone.mp4")}, which does not exist)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{empty}: empty file (0 bytes)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{text}: not a readable media file", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{TestPaths.MegamindBugy}: no audio stream", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{clips.Vfr}: no audio stream", StringComparison.Ordinal));
        // The readable videos were analysed despite the broken ones.
        Assert.True(File.Exists(Path.Combine(output, "Megamind_bugy.faces.parquet")));
        Assert.True(File.Exists(Path.Combine(output, "vfr.faces.parquet")));
        Assert.Contains(lines, l => l.Contains($"{fifo}: not a regular file (fifo)", StringComparison.Ordinal));
        Assert.Contains("2 done, 0 skipped, 5 failed", stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task All_good_exits_zero_and_a_rerun_skips()
    {
        var output = _temp.File("out");
        var first = await Emmanet("analyze", clips.Cfr30, "-o", output);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var second = await Emmanet("analyze", clips.Cfr30, "-o", output);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("0 done, 1 skipped, 0 failed", second.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task An_output_folder_that_cannot_be_created_cannot_run()
    {
        var (code, stderr) = await Emmanet("analyze", clips.Cfr30, "-o", "/proc/emmanet-cannot-write", "--no-fusion");
        Assert.Equal(2, code);
        Assert.Contains("/proc/emmanet-cannot-write: cannot write to the output folder", stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task Hardware_decoding_is_checked_before_the_run_and_never_falls_back_silently()
    {
        var output = _temp.File("hw");
        var (code, stderr) = await Emmanet("analyze", clips.Cfr30, "-o", output, "--hwaccel", "cuda", "--no-fusion");
        if (Batch.Decoding.HardwareDecoding.Check("cuda") is null)
        {
            // A machine with a CUDA device: ffmpeg decodes on it.
            Assert.True(code == 0, stderr);
            Assert.Contains("Decoding video with ffmpeg -hwaccel cuda", stderr, StringComparison.Ordinal);
            return;
        }
        Assert.Equal(2, code);
        Assert.Contains("--hwaccel cuda: hardware decoding is not available here", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact(Timeout = 120000)]
    public async Task Missing_models_cannot_run_and_say_what_to_do()
    {
        var (code, stderr) = await Emmanet("analyze", clips.Cfr30, "-o", _temp.File("out"), "--models", _temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("no models/manifest.json found", stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task Asking_for_cuda_on_the_cpu_build_fails_explicitly()
    {
        var (code, stderr) = await Emmanet("analyze", clips.Cfr30, "-o", _temp.File("out"), "--device", "cuda");
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--device cuda: this is the CPU build", line, StringComparison.Ordinal);
        Assert.Contains("--device auto", line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task Doctor_passes_here_and_fails_without_models()
    {
        var (ok, report) = await EmmanetStdout("doctor", "--models", TestPaths.Models);
        Assert.Equal(0, ok);
        Assert.Contains("OK    ffmpeg", report, StringComparison.Ordinal);
        Assert.Contains("OK    onnxruntime", report, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", report, StringComparison.Ordinal);
        Assert.Contains("OK    model fer-mini-xception", report, StringComparison.Ordinal);

        var (failed, missing) = await EmmanetStdout("doctor", "--models", _temp.Path);
        Assert.Equal(2, failed);
        Assert.Contains("FAIL  models", missing, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout)> EmmanetStdout(params string[] args)
    {
        var result = await Support.Emmanet.RunAsync(args);
        return (result.ExitCode, result.Stdout);
    }

    public void Dispose() => _temp.Dispose();
}
