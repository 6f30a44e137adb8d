using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Pipeline;

public sealed class InputScannerTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public void Folders_are_searched_for_videos_without_following_directory_links()
    {
        Directory.CreateDirectory(_temp.File("a/b"));
        File.WriteAllText(_temp.File("a/one.mp4"), "");
        File.WriteAllText(_temp.File("a/b/two.AVI"), "");
        File.WriteAllText(_temp.File("a/readme.txt"), "");
        Directory.CreateSymbolicLink(_temp.File("a/b/loop"), _temp.File("a"));
        File.CreateSymbolicLink(_temp.File("a/linked.mkv"), _temp.File("a/one.mp4"));

        var (videos, missing) = InputScanner.Scan([_temp.File("a"), _temp.File("nope")]);

        Assert.Equal(["linked", "one", "two"], videos.Select(v => v.VideoId).Order());
        Assert.Equal([_temp.File("nope")], missing);
    }

    [Fact]
    public void Same_names_in_different_folders_get_distinct_output_stems()
    {
        Directory.CreateDirectory(_temp.File("x"));
        Directory.CreateDirectory(_temp.File("y"));
        File.WriteAllText(_temp.File("x/clip.mp4"), "");
        File.WriteAllText(_temp.File("y/clip.mp4"), "");
        var (videos, _) = InputScanner.Scan([_temp.File("x"), _temp.File("y")]);
        Assert.All(videos, v => Assert.Equal("clip", v.VideoId));
        Assert.Equal(2, videos.Select(v => v.OutputStem).Distinct().Count());
    }

    [Theory]
    [InlineData("/a/../../etc/passwd.mp4", "passwd")]
    [InlineData("/a/-rf .mp4", "rf_")]
    [InlineData("/a/..mp4", "video")]
    [InlineData("/a/caf\u00e9 \"quoted\".mp4", "caf___quoted_")]
    public void Output_stems_cannot_escape_the_output_folder(string path, string stem) =>
        Assert.Equal(stem, InputScanner.SafeStem(path));

    public void Dispose() => _temp.Dispose();
}
