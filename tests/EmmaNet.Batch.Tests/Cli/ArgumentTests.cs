using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Cli;

/// <summary>Every bad argument is refused by the parser: exit 2, one line naming the option, no stack trace, no work started.</summary>
public sealed class ArgumentTests
{
    public static TheoryData<string, string[]> BadArguments => new()
    {
        { "--batch must be at least 1 (got 0)", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--batch", "0"] },
        { "--batch must be at least 1 (got -1)", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--batch", "-1"] },
        { "--fusion-batch must be at least 1", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--fusion-batch", "0"] },
        { "--videos-in-flight must be at least 1", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--videos-in-flight", "0"] },
        { "--threads must be at least 0", ["extract", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--threads", "-2"] },
        { "Option '--output' is required", ["analyze", TestPaths.Megamind] },
        { "--output must not be empty", ["analyze", TestPaths.Megamind, "-o", ""] },
        { "Cannot parse argument 'middle' for option '--subject'", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--subject", "middle"] },
        { "Cannot parse argument 'mfcc' for option '--audio'", ["extract", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--audio", "mfcc"] },
        { "Cannot parse argument 'gpu' for option '--image-ops'", ["analyze", TestPaths.Megamind, "-o", "/tmp/emmanet-never", "--image-ops", "gpu"] },
        { "--dropout must be from 0 to 1 (got 1.5)", ["train", "--features", "/tmp", "--distill", "-o", "/tmp/emmanet-never.onnx", "--dropout", "1.5"] },
        { "--learning-rate must be above 0", ["train", "--features", "/tmp", "--distill", "-o", "/tmp/emmanet-never.onnx", "--learning-rate", "0"] },
        { "--seconds must be above 0", ["bench-train", "--seconds", "0"] },
        { "--seeds must be at least 1", ["fusion-experiment", "--seeds", "0"] },
    };

    [Theory(Timeout = 60000)]
    [MemberData(nameof(BadArguments))]
    public async Task A_bad_argument_is_exit_2_with_one_line(string expected, string[] args)
    {
        var result = await Emmanet.RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("emmanet: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists("/tmp/emmanet-never"), "no output folder is made for a refused run");
    }
}
