using EmmaNet.Batch.Output;
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
    public async Task Same_names_in_different_folders_get_distinct_output_stems_the_first_one_readable()
    {
        Directory.CreateDirectory(_temp.File("x"));
        Directory.CreateDirectory(_temp.File("y"));
        File.WriteAllText(_temp.File("x/clip.mp4"), "");
        File.WriteAllText(_temp.File("y/clip.mp4"), "");
        var (videos, _) = InputScanner.Scan([_temp.File("x"), _temp.File("y")]);
        Assert.All(videos, v => Assert.Equal("clip", v.VideoId));
        var named = await OutputNames.ResolveAsync(videos, stem => [Path.Combine(_temp.File("out"), stem + ".faces.parquet")], CancellationToken.None);
        Assert.Equal(["clip", InputScanner.HashedStem("clip", _temp.File("y/clip.mp4"))], named.Select(v => v.OutputStem));
        Assert.Matches("^clip-[0-9a-f]{8}$", named[1].OutputStem);
    }

    [Theory]
    [InlineData("/a/../../etc/passwd.mp4", "passwd")]
    [InlineData("/a/-rf .mp4", "rf_")]
    [InlineData("/a/caf\u00e9 \"quoted\".mp4", "caf\u00e9__quoted_")]
    [InlineData("/a/\u9854.avi", "\u9854")]
    [InlineData("/a/\u732b \u72ac.mp4", "\u732b_\u72ac")]
    public void Output_stems_cannot_escape_the_output_folder_and_keep_every_script(string path, string stem) =>
        Assert.Equal(stem, InputScanner.SafeStem(path));

    [Theory]
    [InlineData("/a/..mp4")]
    [InlineData("/a/---.mp4")]
    [InlineData("/a/\U0001F600\U0001F600.mp4")]
    public void A_name_with_nothing_readable_gets_a_hash_so_two_never_collide(string path)
    {
        var stem = InputScanner.SafeStem(path);
        Assert.Matches("^video-[0-9a-f]{8}$", stem);
        Assert.NotEqual(stem, InputScanner.SafeStem(path.Replace("/a/", "/b/", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_long_name_is_shortened_to_150_bytes_with_a_hash()
    {
        var path = "/a/" + string.Concat(Enumerable.Repeat("\u9854", 80)) + ".mp4";   // 240 bytes of UTF-8
        var stem = InputScanner.SafeStem(path);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(stem), 140, 150);
        Assert.Matches("-[0-9a-f]{8}$", stem);
        Assert.Equal(stem, InputScanner.SafeStem(path));
    }

    [Fact]
    public void A_named_folder_without_videos_is_said_not_passed_over()
    {
        Directory.CreateDirectory(_temp.File("x.mp4"));   // a folder with a video's name
        File.WriteAllText(_temp.File("x.mp4/readme.txt"), "");
        var (videos, missing, notes) = InputScanner.ScanWithNotes([_temp.File("x.mp4")]);
        Assert.Empty(videos);
        Assert.Empty(missing);
        Assert.Contains($"{_temp.File("x.mp4")}: a folder with no video files in it", Assert.Single(notes), StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
