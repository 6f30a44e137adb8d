using System.Diagnostics;
using System.Text.Json;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>
/// A folder of damaged, odd and hostile inputs, analysed in one run (made and run once for the class); each case's
/// outcome read from the run journal. The table in docs/hostile-inputs.md lists the same cases.
/// </summary>
public sealed class HostileSet : IDisposable
{
    private readonly TempFolder _folder = new();

    public HostileSet()
    {
        Directory.CreateDirectory(Inputs);
        string In(string name) => Path.Combine(Inputs, name);
        void Ffmpeg(string args, string name) => Run("ffmpeg", ["-v", "error", "-y", .. args.Split(' '), In(name)]);

        // A real face clip (1 s) copied under hostile names.
        Ffmpeg($"-ss 1 -t 1 -i {TestPaths.FacesVideo} -c:v libx264 -preset ultrafast -c:a aac", "face.mp4");
        foreach (var name in Names)
        {
            File.Copy(In("face.mp4"), In(name));
        }
        File.Copy(In("face.mp4"), _folder.File("face-clip.dat"));   // wrong extension, named on the command line
        File.WriteAllBytes(In("empty.mp4"), []);
        var whole = File.ReadAllBytes(In("face.mp4"));
        File.WriteAllBytes(In("truncated.mp4"), whole[..(whole.Length / 2)]);
        Ffmpeg("-f lavfi -i sine=frequency=440:duration=1 -c:a aac", "audio-only.mp4");
        Ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=30 -frames:v 1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p", "one-frame.mp4");
        Ffmpeg("-f lavfi -i color=c=red:s=16x16:r=10:d=1 -vf scale=1:1 -c:v ffv1", "one-pixel.mkv");
        Ffmpeg("-f lavfi -i testsrc2=size=4000x3000:rate=5:duration=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p", "huge-4000x3000.mp4");
        File.Copy(TestPaths.MegamindBugy, In("Megamind_bugy.avi"));
        Directory.CreateSymbolicLink(In("loop"), Inputs);   // a directory link back to its parent

        // "..mp4" is a hidden file (leading dot): folder scans skip hidden files, so it is named on the command line.
        Result = Emmanet.RunAsync("analyze", Inputs, _folder.File("face-clip.dat"), In("..mp4"), "-o", Output).GetAwaiter().GetResult();
        Journal = File.ReadAllLines(Path.Combine(Output, "emmanet-journal.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "video")
            .ToDictionary(e => Path.GetFileName(e.GetProperty("video").GetString()!), e => e);
    }

    /// <summary>Names that would break a shell, an argument list or a file name sanitiser.</summary>
    public static readonly string[] Names = ["-rf.mp4", "with space.mp4", "quote'\"s.mp4", "new\nline.mp4", "ünïcødé-视频.mp4", "..mp4"];

    public string Inputs => _folder.File("in");

    public string Output => _folder.File("out");

    public Emmanet.Result Result { get; }

    public Dictionary<string, JsonElement> Journal { get; }

    private static void Run(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {error}");
        }
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class HostileInputTests(HostileSet set) : IClassFixture<HostileSet>
{
    private (string Status, string Message, string[] Warnings) Outcome(string name)
    {
        Assert.True(set.Journal.ContainsKey(name), $"{name} is not in the journal: {string.Join(", ", set.Journal.Keys)}");
        var e = set.Journal[name];
        var message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        var warnings = e.TryGetProperty("warnings", out var w) && w.ValueKind == JsonValueKind.Array ? w.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
        return (e.GetProperty("status").GetString()!, message, warnings);
    }

    [Fact]
    public void The_batch_finishes_with_exit_1_and_every_input_accounted_for_once()
    {
        Assert.Equal(1, set.Result.ExitCode);
        // 5 hostile names + face.mp4 + 7 other files in the folder, the .dat and the hidden "..mp4" named explicitly;
        // the link loop adds nothing.
        Assert.Equal(15, set.Journal.Count);
    }

    [Fact]
    public void No_temp_file_stays_behind_the_broken_videos_either()
    {
        // Outputs, the features, the voice steps and the fusion readings of videos that failed mid-way included.
        Assert.Empty(Directory.EnumerateFiles(set.Output, ".*.tmp"));
    }

    [Theory]
    [InlineData("empty.mp4", "empty file (0 bytes)")]
    [InlineData("truncated.mp4", "not a readable media file")]
    [InlineData("audio-only.mp4", "not a video: audio only, no video stream")]
    public void Broken_files_fail_with_one_line_naming_the_file(string name, string cause)
    {
        var (status, message, _) = Outcome(name);
        Assert.Equal("failed", status);
        Assert.Contains($"{name}: {cause}", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("one-frame.mp4")]
    [InlineData("one-pixel.mkv")]
    [InlineData("huge-4000x3000.mp4")]
    [InlineData("face-clip.dat")]
    [InlineData("Megamind_bugy.avi")]
    public void Odd_but_valid_videos_are_analysed(string name)
    {
        var (status, message, _) = Outcome(name);
        Assert.True(status == "done", $"{name}: {status} {message}");
    }

    [Fact]
    public void Videos_without_audio_get_a_warning_and_are_analysed()
    {
        var (status, _, warnings) = Outcome("Megamind_bugy.avi");
        Assert.Equal("done", status);
        Assert.Contains(warnings, w => w.Contains("no audio stream", StringComparison.Ordinal));
    }

    [Fact]
    public void Hostile_names_are_analysed_and_their_outputs_stay_inside_the_output_folder()
    {
        foreach (var name in HostileSet.Names)
        {
            var (status, message, _) = Outcome(name);
            Assert.True(status == "done", $"{name}: {status} {message}");
        }
        // Every output is a plain file directly in the output folder, named from letters, digits, '-', '_' and '.',
        // never hidden or starting with '-'.
        var outputs = Directory.EnumerateFiles(set.Output, "*.parquet", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        // Letters and digits of any script, '_', '.', '-': never a separator, never a leading '.' or '-'.
        Assert.All(outputs, o => Assert.Matches(@"^[\p{L}\p{Nd}_][\p{L}\p{Nd}_.-]*$", o));
        Assert.Empty(Directory.EnumerateDirectories(set.Output));
        Assert.Contains("rf.predictions.parquet", outputs);
        Assert.Contains("with_space.predictions.parquet", outputs);
        Assert.Contains("new_line.predictions.parquet", outputs);
        Assert.Single(outputs, o => System.Text.RegularExpressions.Regex.IsMatch(o!, "^video-[0-9a-f]{8}\\.predictions\\.parquet$"));   // "..mp4": nothing readable left
        Assert.Contains("ünïcødé-视频.predictions.parquet", outputs);
    }
}

/// <summary>A full disk: a 16 KiB tmpfs as the output folder (needs root to mount; otherwise an output folder that cannot be created).</summary>
public sealed class FullDiskTests
{
    [Fact]
    public async Task A_full_disk_fails_each_video_with_its_cause_and_leaves_no_partial_file()
    {
        using var temp = new TempFolder();
        var clip = temp.File("clip.mp4");
        using (var ffmpeg = Process.Start("ffmpeg", ["-v", "error", "-y", "-ss", "1", "-t", "2", "-i", TestPaths.FacesVideo, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip]))
        {
            await ffmpeg.WaitForExitAsync();
        }
        var mountPoint = Directory.CreateDirectory(temp.File("tiny")).FullName;
        using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mountPoint]) { RedirectStandardError = true })!;
        await mount.WaitForExitAsync();
        if (mount.ExitCode != 0)
        {
            // Not root: the closest this machine allows is an output folder that cannot be created.
            var blocked = await Emmanet.RunAsync("analyze", clip, "-o", "/proc/emmanet-cannot-write");
            Assert.Equal(2, blocked.ExitCode);
            Assert.Contains("/proc/emmanet-cannot-write: cannot write to the output folder", blocked.Stderr, StringComparison.Ordinal);
            return;
        }
        try
        {
            var output = Path.Combine(mountPoint, "out");
            var copies = Enumerable.Range(0, 3).Select(i => temp.File($"clip{i}.mp4")).ToList();
            copies.ForEach(c => File.Copy(clip, c));
            var run = await Emmanet.RunAsync(["analyze", .. copies, "-o", output]);
            Assert.Equal(1, run.ExitCode);
            // The video first, then the file: an output, or the temp file its features wait in.
            Assert.Matches(@"failed: \S+\.mp4: cannot write (output \S+\.parquet|temp file \S+\.tmp): No space left on device", run.Stderr);
            Assert.Empty(Directory.EnumerateFiles(output, ".*.tmp"));
            foreach (var file in Directory.EnumerateFiles(output, "*.parquet"))
            {
                DuckDb.Query($"SELECT count(*) AS n FROM '{file}'");   // whatever made it is complete
            }
        }
        finally
        {
            using var umount = Process.Start("umount", [mountPoint]);
            await umount.WaitForExitAsync();
        }
    }
}

/// <summary>
/// A file nobody may read. Root reads anything, so as root the program runs as the unprivileged user 65534 through
/// <c>setpriv</c>; that needs the build and the models readable by that user, as they are on the build machines.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnreadableFileTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] AsNobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];

    [Fact]
    public async Task An_unreadable_file_fails_with_permission_denied_and_the_batch_goes_on()
    {
        using var temp = new TempFolder();
        File.SetUnixFileMode(temp.Path, (UnixFileMode)0b111_111_111);   // 0777: the unprivileged user writes the output here
        var locked = temp.File("locked.mp4");
        File.WriteAllBytes(locked, File.ReadAllBytes(TestPaths.FacesVideo)[..200_000]);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var good = temp.File("good.avi");
        File.Copy(TestPaths.Megamind, good);
        File.SetUnixFileMode(good, (UnixFileMode)0b110_100_100);

        var dll = Path.Combine(AppContext.BaseDirectory, "emmanet.dll");
        string[] command = ["dotnet", dll, "analyze", locked, good, "-o", temp.File("out"), "--no-fusion"];
        if (Environment.UserName == "root")
        {
            if (!RunsAsNobody(["test", "-r", dll]) || !RunsAsNobody(["test", "-r", Path.Combine(TestPaths.Models, "manifest.json")]))
            {
                output.WriteLine("the build or the models are not readable by user 65534 here: the unprivileged run cannot start, nothing to check");
                return;
            }
            command = ["setpriv", .. AsNobody, "env", $"HOME={temp.Path}", $"DOTNET_CLI_HOME={temp.Path}", $"EMMANET_MODELS={TestPaths.Models}", .. command];
        }
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        command.Skip(1).ToList().ForEach(psi.ArgumentList.Add);
        psi.Environment["EMMANET_MODELS"] = TestPaths.Models;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"{locked}: not a readable media file", await stderr, StringComparison.Ordinal);
        Assert.Contains("Permission denied", await stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(temp.File("out"), "good.faces.parquet")));
    }

    private static bool RunsAsNobody(string[] command)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardError = true };
        foreach (var arg in AsNobody.Concat(command))
        {
            psi.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(psi)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;   // no setpriv
        }
    }
}
