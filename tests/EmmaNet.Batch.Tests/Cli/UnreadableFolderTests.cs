using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnreadableFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact(Timeout = 120000)]
    public async Task An_unreadable_subfolder_is_said_and_the_videos_beside_it_are_analysed()
    {
        var inputs = Directory.CreateDirectory(_temp.File("in")).FullName;
        GeneratedClips.Run("ffmpeg", $"-v error -y -ss 1 -t 1 -i \"{TestPaths.FacesVideo}\" -c:v libx264 -preset ultrafast -an \"{Path.Combine(inputs, "readable.mp4")}\"");
        var locked = Directory.CreateDirectory(Path.Combine(inputs, "locked")).FullName;
        File.Copy(Path.Combine(inputs, "readable.mp4"), Path.Combine(locked, "hidden-from-us.mp4"));
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            string[] analyze = [Path.Combine(AppContext.BaseDirectory, "emmanet.dll"), "analyze", inputs, "-o", _temp.File("out"), "--no-fusion"];
            // Root reads any folder: the run drops the two capabilities that let it (setpriv, util-linux), as a user is.
            var run = Environment.IsPrivilegedProcess
                ? await Emmanet.RunProgramAsync("setpriv", ["--bounding-set=-dac_override,-dac_read_search", "--", "dotnet", .. analyze])
                : await Emmanet.RunProgramAsync("dotnet", analyze);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Contains($"{locked}: cannot read this folder (", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("videos in it are not analysed", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("1 done, 0 skipped, 0 failed", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => _temp.Dispose();
}
