using EmmaNet.Batch.Models;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>On the CPU a network runs from its optimised copy, made once per machine, read exactly as the original optimised at load.</summary>
public sealed class OptimisedModelCacheTests : IDisposable
{
    private const string Id = "fer-mini-xception";
    private const string MadeOnce = "optimised for this machine's processor once";

    private static readonly ModelStore Store = ModelStore.Open(TestPaths.Models);

    private readonly TempFolder _temp = new();

    private static string ModelPath => Store.Resolve(Id);

    private static string Sha => Store.Manifest.Get(Id).Sha256;

    private string Folder => _temp.File("cache");

    private string Copy => new OptimisedModelCache(Folder).PathFor(ModelPath, Sha);

    private SessionFactory Sessions(ILogger logger, string? folder = null) =>
        new(new ExecutionOptions(ExecutionDevice.Cpu, OptimisedModelFolder: folder ?? Folder), logger);

    /// <summary>Every output of the network on one fixed 64x64 grey face-sized input.</summary>
    private static float[] Read(InferenceSession session)
    {
        var input = new DenseTensor<float>([1, 64, 64, 1]);
        for (var i = 0; i < input.Length; i++)
        {
            input.SetValue(i, (float)((i * 37 % 101) / 100.0));
        }
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(session.InputNames[0], input)]);
        return outputs.SelectMany(o => o.AsEnumerable<float>()).ToArray();
    }

    private static float[] ReadOriginalOptimisedAtLoad()
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var reference = new InferenceSession(ModelPath, options);
        return Read(reference);
    }

    [Fact]
    public void A_network_runs_from_a_copy_made_at_its_first_load_and_reused_after()
    {
        var log = new ListLogger();
        var sessions = Sessions(log);
        var (first, _) = sessions.Create(ModelPath, Sha);
        float[] firstReading;
        using (first)
        {
            firstReading = Read(first);
        }
        Assert.True(File.Exists(Copy));
        Assert.Contains(OptimisedModelCache.MachineKey, Path.GetFileName(Copy), StringComparison.Ordinal);
        Assert.NotEqual(Copy, new OptimisedModelCache(Folder).PathFor(ModelPath, new string('0', 64)));
        var made = File.GetLastWriteTimeUtc(Copy);

        var (second, _) = sessions.Create(ModelPath, Sha);
        using (second)
        {
            Assert.Equal(firstReading, Read(second));
        }
        Assert.Equal(made, File.GetLastWriteTimeUtc(Copy));
        var said = Assert.Single(log.Lines, l => l.Message.Contains(MadeOnce, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, said.Level);
        Assert.Contains(Copy, said.Message, StringComparison.Ordinal);
        Assert.Equal(ReadOriginalOptimisedAtLoad(), firstReading);
        Assert.Empty(Directory.GetFiles(Folder, ".*.tmp"));
    }

    [Fact]
    public void An_unreadable_copy_is_named_and_made_again()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Copy, "not a model");
        var log = new ListLogger();
        var (session, _) = Sessions(log).Create(ModelPath, Sha);
        using (session)
        {
            Assert.Equal(ReadOriginalOptimisedAtLoad(), Read(session));
        }
        var warning = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains(Copy, warning.Message, StringComparison.Ordinal);
        Assert.Contains("making it again", warning.Message, StringComparison.Ordinal);
        Assert.True(new FileInfo(Copy).Length > 100_000);
    }

    [Fact]
    public void Where_no_copy_can_be_kept_the_networks_run_from_their_files_and_that_is_said_once()
    {
        File.WriteAllText(_temp.File("blocker"), "a file where the cache folder would be");
        var folder = Path.Combine(_temp.File("blocker"), "cache");
        var log = new ListLogger();
        var sessions = Sessions(log, folder);
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var (session, _) = sessions.Create(ModelPath, Sha);
            using (session)
            {
                Assert.Equal(ReadOriginalOptimisedAtLoad(), Read(session));
            }
        }
        var warning = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains($"Cannot keep optimised copies of the networks in {folder}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_without_a_checksum_given_keeps_no_copy()
    {
        // The fusion network is opened this way: trained anew by the workflows here, its copies would pile up.
        var (session, _) = Sessions(new ListLogger()).Create(ModelPath);
        session.Dispose();
        Assert.False(Directory.Exists(Folder));
    }

    public void Dispose() => _temp.Dispose();
}
