using System.Threading.Channels;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Pose;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Pipeline;

/// <summary>The fusion stage and the writer after it: windows of the videos waiting share ONNX Runtime calls, and what is written is the network's own reading.</summary>
[Collection(ModelsCollection.Name)]
public sealed class FusionStageTests(ModelFixture models) : IDisposable
{
    private static readonly FusionConfig Config = new(Steps: 6, FaceSize: FaceFeature.ExpressionCount, AudioSize: 4, PoseSize: PoseFeatures.Count, Hidden: 5, KeySize: 3, HeadHidden: 8);
    private readonly TempFolder _temp = new();

    /// <summary>A video of <paramref name="ticks"/> face ticks at 6 Hz, one subject seen at every tick, random features.</summary>
    private static VideoFeatures Video(int ticks, int seed)
    {
        var random = new Random(seed);
        float[] Vector(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var face = new FaceDetection(10, 10, 50, 50, 0.9f, new float[12]);
        var tickRows = Enumerable.Range(0, ticks).Select(k => new FaceTick(0, k, k / 6.0, 5L * k, face, Vector(FaceFeature.ExpressionCount))).ToList();
        var stepRows = Enumerable.Range(0, (ticks + 2) / 3).Select(k => new FeatureStep(0, k, k * 0.5, Vector(FaceFeature.ExpressionCount), new AudioStep(k, k * 0.5, Vector(4), 0.9f, k % 2 == 0), k % 3 == 0 ? null : Vector(PoseFeatures.Count))).ToList();
        return new VideoFeatures([0], tickRows, stepRows, 5L * ticks, ["audio_a", "audio_b", "audio_c", "audio_d"]);
    }

    /// <summary>Two subjects in one video of 20 ticks: subject 0 seen at ticks 0-11, subject 1 at ticks 6-19.</summary>
    private static VideoFeatures TwoSubjects(int seed)
    {
        var (zero, one) = (Video(20, seed), Video(20, seed + 1));
        var ticks = zero.Ticks.Select(t => t.Tick < 12 ? t : t with { Face = null, Features = null })
            .Concat(one.Ticks.Select(t => (t.Tick >= 6 ? t : t with { Face = null, Features = null }) with { Subject = 1 }))
            .ToList();
        var steps = zero.Steps.Concat(one.Steps.Select(s => s with { Subject = 1 })).ToList();
        return new VideoFeatures([0, 1], ticks, steps, zero.FrameCount, zero.AudioColumns);
    }

    /// <summary>Features already built, handed out subject by subject as the assembly's would be (the writer disposes them).</summary>
    private static SubjectFeatures BySubject(VideoFeatures features) =>
        new(features.Subjects, features.FrameCount, features.AudioColumns,
            subject => (features.Ticks.Where(t => t.Subject == subject).ToList(), features.Steps.Where(s => s.Subject == subject).ToList()));

    private AssembledVideo Item(string stem, VideoFeatures features)
    {
        var job = new VideoJob(new VideoInput(_temp.File(stem + ".mp4"), stem, stem), _temp.File(stem + ".faces.parquet"))
        {
            Media = new MediaInfo(_temp.File(stem + ".mp4"), TimeSpan.FromSeconds(10), 64, 48, 30, 0, "h264", true, 16000, TimeSpan.FromSeconds(10)),
        };
        // Ownership goes with the video to the writer, which disposes it: CA2000 cannot follow that.
#pragma warning disable CA2000
        return new AssembledVideo(job, null, BySubject(features));
#pragma warning restore CA2000
    }

    private async Task<(List<VideoOutcome> Outcomes, FusionModel Model, FusionNetwork Network)> RunStage(int windowsPerCall, params AssembledVideo[] items)
    {
        var network = new FusionNetwork(Config, seed: 9);
        var path = _temp.File($"fusion-{windowsPerCall}.onnx");
        OnnxModelFile.Save(FusionExport.Build(network, new Dictionary<string, string>()), path);
        var model = new FusionModel(path, models.Sessions);
        var options = new AnalyzeOptions(_temp.Path, RunMode.Predictions, SubjectChoice.Largest, WindowsPerCall: windowsPerCall);
        var networks = new PipelineNetworks(new FrameAnalyzer(models.Detector), new AudioFeatureExtractor(models.Vad), model);
        var assembled = Channel.CreateUnbounded<AssembledItem>();
        foreach (var item in items)
        {
            await assembled.Writer.WriteAsync(item);
        }
        assembled.Writer.Complete();
        var fused = Channel.CreateUnbounded<AssembledItem>();
        await new FusionStage(model, windowsPerCall, _temp.Path).RunAsync(assembled.Reader, fused.Writer, CancellationToken.None);
        var outcomes = new List<VideoOutcome>();
        await new WriterStage(options, new RunOutputs(options, networks), model).RunAsync(fused.Reader, outcomes.Add, CancellationToken.None);
        Assert.Empty(Directory.EnumerateFiles(_temp.Path, ".*.tmp"));   // the predictions waited on disk until written, and went then
        return (outcomes, model, network);
    }

    [Fact]
    public async Task Windows_of_two_waiting_videos_go_into_one_call()
    {
        var (outcomes, model, _) = await RunStage(64, Item("a", Video(20, 1)), Item("b", Video(13, 2)));
        using (model)
        {
            Assert.Equal(1, model.Calls);
            Assert.Equal(33, model.Windows);
            Assert.All(outcomes, o => Assert.Equal(VideoStatus.Done, o.Status));
            Assert.Equal(20 * Config.Steps, DuckDb.Query($"SELECT count(*) AS n FROM '{PredictionTables.AttentionPath(_temp.Path, "a")}'").Single().Count("n"));
            Assert.Equal(13 * 5, DuckDb.Query($"SELECT count(*) AS n FROM '{PredictionTables.PredictionsPath(_temp.Path, "b")}'").Single().Count("n"));
        }
    }

    [Fact]
    public async Task Calls_are_cut_at_the_limit_across_videos_and_every_tick_gets_the_networks_reading()
    {
        var a = Video(20, 1);
        var (outcomes, model, network) = await RunStage(8, Item("a", a), Item("b", Video(13, 2)));
        using (model)
        {
            // 33 windows in calls of 8 = 5 calls; the third holds a's last 4 windows and b's first 4.
            Assert.Equal(5, model.Calls);
            Assert.Equal(2, outcomes.Count);
            var series = FeatureSeries.From(a, new Dictionary<string, string>());
            var expected = FeatureWindows.Build(series, Config.Steps).Select(w => network.Predict(w.Window)).ToList();
            var rows = DuckDb.Query($"SELECT tick, step_offset, attn_audio FROM '{PredictionTables.AttentionPath(_temp.Path, "a")}' ORDER BY tick, step_offset");
            Assert.Equal(20 * Config.Steps, rows.Count);
            foreach (var row in rows)
            {
                var want = expected[(int)row.Count("tick")].Attention[1][(int)row.Count("step_offset")];
                Assert.True(Math.Abs(want - row.Number("attn_audio")) < 1e-4, $"tick {row.Count("tick")} step {row.Count("step_offset")}: {want} vs {row.Number("attn_audio")}");
            }
        }
    }

    [Fact]
    public async Task Subject_after_subject_the_network_reads_what_it_reads_from_the_whole_video()
    {
        var video = TwoSubjects(5);
        var (outcomes, model, network) = await RunStage(8, Item("two", video));
        using (model)
        {
            Assert.Equal(VideoStatus.Done, Assert.Single(outcomes).Status);
            var whole = FeatureSeries.From(video, new Dictionary<string, string>());
            var expected = FeatureWindows.Build(whole, Config.Steps).ToDictionary(w => (w.Subject, w.Tick), w => network.Predict(w.Window));
            Assert.Equal(12 + 14, expected.Count);
            var rows = DuckDb.Query($"SELECT subject, tick, step_offset, attn_face FROM '{PredictionTables.AttentionPath(_temp.Path, "two")}'");
            Assert.Equal(expected.Count * Config.Steps, rows.Count);
            foreach (var row in rows)
            {
                var want = expected[((int)row.Count("subject"), (int)row.Count("tick"))].Attention[0][(int)row.Count("step_offset")];
                Assert.True(Math.Abs(want - row.Number("attn_face")) < 1e-4, $"subject {row.Count("subject")} tick {row.Count("tick")}: {want} vs {row.Number("attn_face")}");
            }
            // Every frame of the video for each subject (a single-subject choice labels the whole video).
            var frames = DuckDb.Query($"SELECT subject, count(*) AS n FROM '{PredictionTables.PredictionsPath(_temp.Path, "two")}' GROUP BY subject ORDER BY subject");
            Assert.Equal([video.FrameCount, video.FrameCount], frames.Select(f => f.Count("n")).ToArray());
            // The last frames stand for the last ticks, which only subject 1 covers: each subject's ticks reach the frame map.
            var last = DuckDb.Query($"SELECT subject, max(source_tick) AS t FROM '{PredictionTables.PredictionsPath(_temp.Path, "two")}' GROUP BY subject ORDER BY subject");
            Assert.Equal([11L, 19L], last.Select(r => r.Count("t")).ToArray());
        }
    }

    [Fact]
    public void Each_builds_a_subject_only_when_it_is_reached()
    {
        var built = new List<int>();
        using var features = new SubjectFeatures([3, 7], 10, [], subject =>
        {
            built.Add(subject);
            return ([], []);
        });
        using var each = features.Each().GetEnumerator();
        Assert.Empty(built);
        Assert.True(each.MoveNext());
        Assert.Equal([3], built);
        Assert.Equal([3], each.Current.Subjects);
        Assert.True(each.MoveNext());
        Assert.Equal([3, 7], built);
    }

    public void Dispose() => _temp.Dispose();
}
