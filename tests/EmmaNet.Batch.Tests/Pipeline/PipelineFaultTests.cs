using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmmaNet.Batch.Tests.Pipeline;

[Collection(ModelsCollection.Name)]
public sealed class PipelineFaultTests(ModelFixture models) : IDisposable
{
    private readonly TempFolder _out = new();

    private static List<VideoInput> Videos(params string[] names) =>
        names.Select(n => new VideoInput("/synthetic/" + n, Path.GetFileNameWithoutExtension(n), Path.GetFileNameWithoutExtension(n))).ToList();

    private AnalyzePipeline Pipeline(IVideoSource source, IFaceDetector? detector = null) =>
        new(source, detector ?? models.Detector, NullLogger.Instance);

    private string[] FilesInOutput() => Directory.GetFiles(_out.Path, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray()!;

    [Theory(Timeout = 60000)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    [InlineData(20)]
    [InlineData(21)]
    public async Task A_video_failing_at_any_element_is_reported_and_the_others_finish(int failAt)
    {
        var source = new SyntheticVideoSource(framesPerVideo: 22);
        source.FailAt["b.mp4"] = failAt;
        var outcomes = await Pipeline(source).RunAsync(Videos("a.mp4", "b.mp4", "c.mp4"), new AnalyzeOptions(_out.Path, DetectorBatch: 4, FrameQueue: 4), null, CancellationToken.None);

        var byId = outcomes.ToDictionary(o => o.Input.VideoId);
        Assert.Equal(3, byId.Count);
        Assert.Equal(VideoStatus.Failed, byId["b"].Status);
        Assert.Equal($"/synthetic/b.mp4: synthetic decode failure at element {failAt}", byId["b"].Message);
        Assert.Equal(VideoStatus.Done, byId["a"].Status);
        Assert.Equal(VideoStatus.Done, byId["c"].Status);
        Assert.Equal(22, byId["a"].ProcessedFrames);
        // Only complete outputs exist: no output for b, no temp files.
        Assert.Equal(["a.faces.parquet", "c.faces.parquet"], FilesInOutput().Order());
    }

    /// <summary>A detector that works for <c>failFromCall - 1</c> calls and then never again (a dead model).</summary>
    private sealed class DetectorThatDies(IFaceDetector inner, int failFromCall) : IFaceDetector
    {
        private int _calls;

        public ModelIdentity Model => inner.Model;

        public IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames) =>
            ++_calls >= failFromCall ? throw new InvalidOperationException("detector died") : inner.Detect(frames);

        public void Dispose()
        {
        }
    }

    /// <summary>A detector that throws on any batch holding a frame of grey level <paramref name="poison"/> (one video's data breaking the network).</summary>
    private sealed class DetectorPoisonedBy(IFaceDetector inner, byte poison) : IFaceDetector
    {
        public ModelIdentity Model => inner.Model;

        public IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames) =>
            frames.Any(f => f.Pixels[0] == poison) ? throw new ArgumentException("a tensor dimension is out of range\n   (more lines)") : inner.Detect(frames);

        public void Dispose()
        {
        }
    }

    [Fact(Timeout = 60000)]
    public async Task A_detector_failure_ends_the_run_with_that_error_and_leaves_no_partial_file()
    {
        var source = new SyntheticVideoSource(framesPerVideo: 40);
        using var dead = new DetectorThatDies(models.Detector, failFromCall: 3);
        var pipeline = Pipeline(source, dead);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            pipeline.RunAsync(Videos("a.mp4", "b.mp4"), new AnalyzeOptions(_out.Path, DetectorBatch: 4, FrameQueue: 4), null, CancellationToken.None));
        Assert.Equal("detector died", ex.Message);
        Assert.Empty(FilesInOutput());
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_stops_cleanly_and_leaves_no_partial_file()
    {
        using var cts = new CancellationTokenSource();
        var source = new SyntheticVideoSource(framesPerVideo: 400) { OnFrame = (_, i) => { if (i == 30) { cts.Cancel(); } } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Pipeline(source).RunAsync(Videos("a.mp4", "b.mp4"), new AnalyzeOptions(_out.Path), null, cts.Token));
        Assert.Empty(FilesInOutput());
    }

    [Fact(Timeout = 60000)]
    public async Task A_rerun_skips_complete_outputs_and_force_redoes_them()
    {
        var source = new SyntheticVideoSource(framesPerVideo: 6);
        var videos = Videos("a.mp4", "b.mp4");
        var first = await Pipeline(source).RunAsync(videos, new AnalyzeOptions(_out.Path), null, CancellationToken.None);
        Assert.All(first, o => Assert.Equal(VideoStatus.Done, o.Status));

        // A leftover temp file from a killed run on this machine is cleaned up (no process has that pid); a live
        // process's temp file (another shard's) and another machine's recent one are left alone; a damaged output is
        // redone, not trusted.
        await File.WriteAllTextAsync(Path.Combine(_out.Path, $".b.faces.parquet.{AtomicFile.Host}.2147483646.abc.tmp"), "half");
        var live = Path.Combine(_out.Path, $".c.faces.parquet.{AtomicFile.Host}.{Environment.ProcessId}.abc.tmp");
        var foreign = Path.Combine(_out.Path, ".d.faces.parquet.other-host.123.abc.tmp");
        await File.WriteAllTextAsync(live, "being written");
        await File.WriteAllTextAsync(foreign, "being written elsewhere");
        await File.WriteAllTextAsync(Path.Combine(_out.Path, "b.faces.parquet"), "not parquet");
        var second = await Pipeline(source).RunAsync(videos, new AnalyzeOptions(_out.Path), null, CancellationToken.None);
        Assert.Equal(VideoStatus.Skipped, second.Single(o => o.Input.VideoId == "a").Status);
        Assert.Equal(VideoStatus.Done, second.Single(o => o.Input.VideoId == "b").Status);
        Assert.Equal(new[] { "a.faces.parquet", "b.faces.parquet", Path.GetFileName(live), Path.GetFileName(foreign) }.Order(StringComparer.Ordinal), FilesInOutput().Order(StringComparer.Ordinal));
        File.Delete(live);
        File.Delete(foreign);

        var forced = await Pipeline(source).RunAsync(videos, new AnalyzeOptions(_out.Path, Force: true), null, CancellationToken.None);
        Assert.All(forced, o => Assert.Equal(VideoStatus.Done, o.Status));
    }

    [Fact(Timeout = 60000)]
    public async Task A_network_failure_caused_by_one_videos_frames_fails_that_video_alone()
    {
        var source = new SyntheticVideoSource(framesPerVideo: 30);
        source.Shade["b.mp4"] = 7;
        using var poisoned = new DetectorPoisonedBy(models.Detector, poison: 7);
        using var spy = new BatchSpy(poisoned);
        var outcomes = await Pipeline(source, spy).RunAsync(Videos("a.mp4", "b.mp4", "c.mp4"), new AnalyzeOptions(_out.Path, VideosInFlight: 3, DetectorBatch: 8), null, CancellationToken.None);

        var byId = outcomes.ToDictionary(o => o.Input.VideoId);
        Assert.Equal(VideoStatus.Failed, byId["b"].Status);
        Assert.Equal("/synthetic/b.mp4: the face_detector network failed on its frames: ArgumentException: a tensor dimension is out of range", byId["b"].Message);
        Assert.Equal(VideoStatus.Done, byId["a"].Status);
        Assert.Equal(VideoStatus.Done, byId["c"].Status);
        Assert.Equal(30, byId["a"].ProcessedFrames);
        Assert.Equal(30, byId["c"].ProcessedFrames);
        Assert.Equal(["a.faces.parquet", "c.faces.parquet"], FilesInOutput().Order());
        Assert.True(spy.Frames < 30 * 3 * 2, "b's frames after its failure are not analysed again");
    }

    /// <summary>A body-pose network that finds nobody, and throws on any batch holding a frame of grey level <paramref name="poison"/>.</summary>
    private sealed class PosePoisonedBy(ModelIdentity model, byte poison) : Batch.Pose.IPoseEstimator
    {
        public int Frames { get; private set; }

        public ModelIdentity Model => model;

        public List<Batch.Pose.Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames)
        {
            Frames += frames.Count;
            return frames.Any(f => f.Pixels[0] == poison) ? throw new InvalidOperationException("pose network broke") : frames.Select(_ => new List<Batch.Pose.Skeleton>()).ToArray();
        }

        public void Dispose()
        {
        }
    }

    [Fact(Timeout = 60000)]
    public async Task A_later_network_failing_on_one_videos_frames_fails_that_video_alone_and_the_line_goes_on()
    {
        var source = new SyntheticVideoSource(framesPerVideo: 30);
        source.Shade["b.mp4"] = 7;
        using var pose = new PosePoisonedBy(models.Detector.Model, poison: 7);
        var pipeline = new AnalyzePipeline(source, new FrameAnalyzer(models.Detector, pose: pose), NullLogger.Instance);
        var outcomes = await pipeline.RunAsync(Videos("a.mp4", "b.mp4", "c.mp4"), new AnalyzeOptions(_out.Path, VideosInFlight: 3, DetectorBatch: 8), null, CancellationToken.None);

        var byId = outcomes.ToDictionary(o => o.Input.VideoId);
        Assert.Equal(VideoStatus.Failed, byId["b"].Status);
        Assert.Equal("/synthetic/b.mp4: the pose network failed on its frames: InvalidOperationException: pose network broke", byId["b"].Message);
        Assert.Equal(30, byId["a"].ProcessedFrames);
        Assert.Equal(30, byId["c"].ProcessedFrames);
        Assert.Equal(["a.faces.parquet", "c.faces.parquet"], FilesInOutput().Order());
        // PoseNet reads only the 2 Hz step frames (every third 6 Hz frame): 10 of each video's 30, b's once it failed no more.
        Assert.InRange(pose.Frames, 20, 20 + 20);
    }

    [Fact(Timeout = 60000)]
    public async Task Frames_from_several_videos_share_detector_batches()
    {
        var source = new SyntheticVideoSource(framesPerVideo: 30);
        using var spy = new BatchSpy(models.Detector);
        await Pipeline(source, spy).RunAsync(Videos("a.mp4", "b.mp4", "c.mp4"), new AnalyzeOptions(_out.Path, VideosInFlight: 3, DetectorBatch: 8), null, CancellationToken.None);
        Assert.Equal(90, spy.Frames);
        Assert.True(spy.Calls < 90, $"{spy.Calls} detector calls for 90 frames: frames were not batched");
    }

    private sealed class BatchSpy(IFaceDetector inner) : IFaceDetector
    {
        public int Calls { get; private set; }

        public int Frames { get; private set; }

        public ModelIdentity Model => inner.Model;

        public IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames)
        {
            Calls++;
            Frames += frames.Count;
            return inner.Detect(frames);
        }

        public void Dispose()
        {
        }
    }

    public void Dispose() => _out.Dispose();
}
