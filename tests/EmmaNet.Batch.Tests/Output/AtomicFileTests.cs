using System.Text;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Output;

/// <summary>Temp names fit the file system's 255 bytes whatever the final name, and a killed run's are still recognised.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Theory]
    [InlineData(20)]
    [InlineData(150)]
    [InlineData(255)]
    public async Task A_temp_name_stays_within_255_bytes_and_the_file_lands_under_its_final_name(int characters)
    {
        // Three-byte letters: up to 765 bytes of final name asked for; the final name itself is cut to 255 bytes.
        var name = new string('\u9854', Math.Min(characters, 255 / 3 - 8)) + ".predictions.parquet";
        var temp = AtomicFile.TempName(new string('\u9854', characters) + ".predictions.parquet", 4_194_304, Guid.NewGuid());
        Assert.InRange(Encoding.UTF8.GetByteCount(temp), 1, 255);
        Assert.StartsWith(".", temp, StringComparison.Ordinal);
        Assert.EndsWith(".tmp", temp, StringComparison.Ordinal);

        await using (var file = new AtomicFile(_temp.File(name)))
        {
            await file.Stream.WriteAsync("x"u8.ToArray());
            await file.CommitAsync(CancellationToken.None);
        }
        Assert.True(File.Exists(_temp.File(name)));
    }

    [Fact]
    public void A_dead_runs_long_temp_name_is_still_recognised_as_this_machines_and_removed()
    {
        // pid 4194304 is above Linux's pid_max: no such process runs.
        var temp = _temp.File(AtomicFile.TempName(new string('x', 250) + ".faces.parquet", 4_194_304, Guid.NewGuid()));
        File.WriteAllText(temp, "partial");
        Assert.Equal(1, AtomicFile.DeleteLeftovers(_temp.Path));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public void A_file_written_by_path_lands_whole_or_not_at_all()
    {
        var final = _temp.File("model.onnx");
        AtomicFile.WriteByPath(final, temp =>
        {
            Assert.NotEqual(final, temp);
            File.WriteAllText(temp, "whole");
        });
        Assert.Equal("whole", File.ReadAllText(final));

        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteByPath(final, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new InvalidOperationException("the writer failed");
        }));
        Assert.Equal("whole", File.ReadAllText(final));
        Assert.Equal([final], Directory.GetFiles(_temp.Path));
    }

    public void Dispose() => _temp.Dispose();
}
