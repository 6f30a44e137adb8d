using System.Diagnostics;
using System.Globalization;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Pose;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Bench;

/// <summary>The networks a benchmark runs (the caller owns them): the product's, the square-input variants of the detector and PoseNet, the configured audio features and log-mel beside them.</summary>
public sealed record BenchNetworks(
    BlazeFaceDetector Detector, BlazeFaceDetector SquareDetector, ExpressionModel Expression, IPoseEstimator Pose, PoseModel SquarePose,
    FusionModel Fusion, AudioFeatureExtractor Audio, AudioFeatureExtractor LogMel, FaceIdentityModel? Identity, FaceMeshModel? Mesh);

/// <summary>
/// What <c>emmanet bench</c> measures on one video, all in one process so the ratios hold on a noisy machine, after
/// a warm-up on the video's first 10 s: decode-only time (ffmpeg at the face-stream sampling, frames dropped), the detection pipeline (<c>analyze
/// --no-fusion</c>), the full <c>analyze</c> (features and fusion), then each stage alone over the whole video (the
/// detector and PoseNet also on the square inputs they had before; the fusion network per window at several batch
/// sizes); with <paramref name="baseline"/> the full analyze also runs as it did before the speed work and the stage
/// line (square inputs, every frame network in one stage, one after the other on one thread). Peak memory is counted from
/// the end of the warm-up and read after the detection pipeline, before the stages that hold frames on purpose.
/// </summary>
public static class AnalyzeBenchmark
{
    /// <summary>
    /// Loads what the benchmark runs: the networks <paramref name="choice"/> names with the fusion model (timed even
    /// with --no-mesh or --no-reidentify, which the default one does not fit), and beside them the square-input detector
    /// and PoseNet they replaced and log-mel for its cost; runs it on the video, then disposes them.
    /// </summary>
    /// <exception cref="MediaException">The video cannot be probed.</exception>
    /// <exception cref="Onnx.ModelException">A model is missing or broken.</exception>
    public static async Task<(BenchResult? Result, string? Failure)> RunAsync(string path, ModelChoice choice, Models.ModelStore store, Models.SessionFactory sessions, bool baseline, ILogger logger, CancellationToken ct)
    {
        var media = await MediaProber.ProbeAsync(path, ct);
        using var models = AnalyzerModels.Load(choice with { Mode = RunMode.Predictions, RequireFusionFit = false }, store, sessions);
        using var squareDetector = new BlazeFaceDetector(store, sessions, new BlazeFaceOptions(FitToFrame: false));
        using var squarePose = new PoseModel(store, sessions, fitToFrame: false);
        using var vad = new SileroVad(store, sessions);
        var networks = new BenchNetworks(models.Detector, squareDetector, models.Expression!, models.Pose!, squarePose, models.Fusion!, models.Audio!, new AudioFeatureExtractor(vad), models.Identity, models.Mesh);
        return await RunAsync(media, path, networks, baseline, logger, ct);
    }

    /// <summary>The measurements, or the message of the video's failure.</summary>
    public static async Task<(BenchResult? Result, string? Failure)> RunAsync(MediaInfo media, string path, BenchNetworks networks, bool baseline, ILogger logger, CancellationToken ct)
    {
        var (detector, squareDetector, expression, pose, squarePose, fusion, audio, logMel, identity, mesh) = networks;
        var output = Directory.CreateTempSubdirectory("emmanet-bench-");
        try
        {
            var input = new VideoInput(path, Path.GetFileNameWithoutExtension(path), InputScanner.SafeStem(path));
            var fullAnalyzer = new FrameAnalyzer(detector, expression, pose, identity: identity, mesh: mesh);
            var pipeline = new AnalyzePipeline(new FfmpegVideoSource(), detector, logger);
            var full = new AnalyzePipeline(new FfmpegVideoSource(), new PipelineNetworks(fullAnalyzer, audio, fusion), logger);
            var fullOptions = new AnalyzeOptions(output.FullName, RunMode.Predictions, SubjectChoice.All, Force: true);
            var warmUp = await WarmUpAsync(path, output.FullName, pipeline, full, fullOptions, logger, ct);
            fullAnalyzer.Cpu.Reset();
            full.Cpu.Reset();
            // The peak read after the detection pipeline is that pipeline's, not the warm-up's full analyze.
            PeakMemory.Reset();

            var cpuBeforeDecode = CpuSeconds();
            var clock = Stopwatch.StartNew();
            var reader = new VideoFrameReader(media, FrameSampling.FaceStream);
            var frames = 0;
            await foreach (var frame in reader.ReadAsync(ct))
            {
                frame.Dispose();
                frames++;
            }
            var decodeSeconds = clock.Elapsed.TotalSeconds;
            var decodeCpu = CpuSeconds() - cpuBeforeDecode;

            clock.Restart();
            var outcomes = await pipeline.RunAsync([input], new AnalyzeOptions(output.FullName, Force: true), null, ct);
            var pipelineSeconds = clock.Elapsed.TotalSeconds;
            // Read before the other stages, which hold frames and windows in memory on purpose.
            var pipelinePeak = PeakMemory.MiB();

            audio.Cpu.Reset();
            var windowsBefore = fusion.Windows;
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var childrenBefore = ChildrenCpuSeconds();
            var (allocatedBefore, gen2Before, pauseBefore) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var (jitBefore, jitMethodsBefore) = (System.Runtime.JitInfo.GetCompilationTime(), System.Runtime.JitInfo.GetCompiledMethodCount());
            clock.Restart();
            var fullOutcomes = await full.RunAsync([input], fullOptions, null, ct);
            var analyzeSeconds = clock.Elapsed.TotalSeconds;
            var allocatedMiB = (GC.GetTotalAllocatedBytes() - allocatedBefore) / (1024.0 * 1024.0);
            var gen2 = GC.CollectionCount(2) - gen2Before;
            var gcPause = (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds;
            var jitSeconds = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalSeconds;
            var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethodsBefore;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var cpuUse = cpuSeconds / analyzeSeconds / Environment.ProcessorCount;
            var ffmpegUse = (ChildrenCpuSeconds() - childrenBefore) / analyzeSeconds / Environment.ProcessorCount;
            var analyzeCpu = WhereTheCpuWent(cpuSeconds, fullAnalyzer.Cpu, audio.Cpu, full.Cpu);
            outcomes = [.. outcomes, .. fullOutcomes];
            var fusedWindows = fusion.Windows - windowsBefore;
            var faces = fullOutcomes.Sum(o => o.Faces);

            double? baselineSeconds = null;
            if (baseline)
            {
                var before = new AnalyzePipeline(new FfmpegVideoSource(), new PipelineNetworks(new FrameAnalyzer(squareDetector, expression, squarePose, oneStage: true, identity, mesh), audio, fusion), logger);
                clock.Restart();
                outcomes = [.. outcomes, .. await before.RunAsync([input], fullOptions, null, ct)];
                baselineSeconds = clock.Elapsed.TotalSeconds;
            }

            var framesPerCall = fullOptions.FramesInFlightFor(detector.Model.ExecutionProvider);
            var (alone, square) = await TimeFrameStagesAsync(media, fullAnalyzer, new FrameAnalyzer(squareDetector, pose: squarePose), framesPerCall, faces, ct);
            var detectSeconds = alone["face_detector"];
            var (squareDetectSeconds, squarePoseSeconds) = (square["face_detector"], square["pose"]);
            var (expressionSeconds, poseSeconds) = (alone["expression"], alone["pose"]);
            var (identitySeconds, meshSeconds) = (alone.GetValueOrDefault("identity"), alone.GetValueOrDefault("mesh"));
            var cpuBeforeAudio = CpuSeconds();
            var audioSeconds = await TimeAudioAsync(audio, media, ct);
            var audioCpu = CpuSeconds() - cpuBeforeAudio;
            // Log-mel statistics beside it, so one run gives the cost of DeepSpectrum against the light option.
            var logMelSeconds = audio.CnnModel is null ? audioSeconds : await TimeAudioAsync(logMel, media, ct);
            var fusionSeconds = TimeFusion(fusion, 64) * fusedWindows / 1000;
            var stages = new Dictionary<string, double>
            {
                ["decode"] = decodeSeconds,
                ["face_detector"] = detectSeconds,
                ["expression"] = expressionSeconds,
                ["pose"] = poseSeconds,
                ["identity"] = identitySeconds,
                ["mesh"] = meshSeconds,
                ["audio"] = audioSeconds,
                ["fusion"] = fusionSeconds,
            };
            // Decoding and the audio run ffmpeg beside their own thread, so alone they can keep more than one core busy:
            // taken at the CPU seconds they used (with their ffmpeg), the sum is the stages' work, not their wall time.
            var work = new Dictionary<string, double>(stages)
            {
                ["decode"] = Math.Max(decodeSeconds, decodeCpu),
                ["audio"] = Math.Max(audioSeconds, audioCpu),
            };
            var fusionMs = FusionBatches.ToDictionary(n => n, n => TimeFusion(fusion, n));
            // What each stage gets through per second alone: frames, faces, 2 Hz frames, audio seconds, windows.
            var throughput = new Dictionary<string, (double PerSecond, string Unit)>
            {
                ["decode"] = (frames / decodeSeconds, "frames"),
                ["face_detector"] = (frames / detectSeconds, "frames"),
                ["expression"] = (faces / expressionSeconds, "faces"),
                ["pose"] = (media.Duration.TotalSeconds / AudioTimeline.StepSeconds / poseSeconds, "frames"),
                ["identity"] = (identitySeconds > 0 ? faces / FaceTicks.PerStep / identitySeconds : 0, "faces"),
                ["mesh"] = (meshSeconds > 0 ? faces / meshSeconds : 0, "faces"),
                ["audio"] = (media.Duration.TotalSeconds / audioSeconds, "audio s"),
                // Not a stage of this run (its sum and ratios leave it out): the light option's speed beside the configured one.
                ["audio_logmel"] = (media.Duration.TotalSeconds / logMelSeconds, "audio s"),
                ["fusion"] = (fusedWindows / fusionSeconds, "windows"),
            };
            if (outcomes.Any(o => o.Status == VideoStatus.Failed))
            {
                return (null, outcomes.First(o => o.Status == VideoStatus.Failed).Message);
            }
            return (new BenchResult(
                path, media.Duration.TotalSeconds, media.Width, media.Height, frames, reader.DecodedFrames,
                decodeSeconds, detectSeconds, pipelineSeconds,
                pipelineSeconds / decodeSeconds,
                pipelineSeconds / Math.Max(decodeSeconds, detectSeconds),
                media.Duration.TotalSeconds / pipelineSeconds,
                frames / detectSeconds,
                detector.Model.ExecutionProvider,
                Environment.ProcessorCount,
                pipelinePeak,
                analyzeSeconds,
                media.Duration.TotalSeconds / analyzeSeconds,
                fusedWindows,
                fusionMs.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                stages,
                throughput.ToDictionary(kv => kv.Key, kv => kv.Value.PerSecond),
                throughput.ToDictionary(kv => kv.Key, kv => kv.Value.Unit),
                analyzeSeconds / stages.Values.Max(),
                analyzeSeconds / (stages.Values.Sum() / Environment.ProcessorCount),
                decodeCpu,
                audioCpu,
                analyzeSeconds / (work.Values.Sum() / Environment.ProcessorCount),
                cpuUse,
                ffmpegUse,
                allocatedMiB,
                gen2,
                gcPause,
                squareDetectSeconds,
                squarePoseSeconds,
                baselineSeconds,
                analyzeSeconds / baselineSeconds,
                analyzeCpu,
                warmUp,
                jitMethods,
                jitSeconds), null);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The emmanet process's CPU seconds in the full analyze by piece of work (each network with its pre- and
    /// post-processing, the voice's two parts, tracking and features), and <c>other</c>: what no piece accounts for
    /// (reading frames from ffmpeg's pipe, the face table's Parquet, fusion, the runtime, waits that spin).
    /// </summary>
    private static Dictionary<string, double> WhereTheCpuWent(double processSeconds, params CpuMeter[] meters)
    {
        var pieces = meters.SelectMany(m => m.Seconds).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        pieces["other"] = processSeconds - pieces.Values.Sum();
        pieces["total"] = processSeconds;
        return pieces;
    }

    /// <summary>Seconds of the video's start that the warm-up runs on.</summary>
    private const int WarmUpSeconds = 10;

    /// <summary>
    /// Runs decoding, the detection pipeline and the full analyze once on the video's first seconds (copied, not
    /// re-encoded, into the bench's folder; timestamps made where the container has none, as in AVI) before anything
    /// is timed: the runtime compiles and re-compiles hot code through a run's first seconds, which the stages alone,
    /// each timed after a warm-up call, do not pay (what is still compiled in the timed run is reported beside it).
    /// Returns what was warmed up, or why nothing was.
    /// </summary>
    private static async Task<string> WarmUpAsync(string path, string folder, AnalyzePipeline pipeline, AnalyzePipeline full, AnalyzeOptions fullOptions, ILogger logger, CancellationToken ct)
    {
        var clip = Path.Combine(folder, "warm-up.mkv");
        try
        {
            var cut = await Processes.ExternalProgram.RunAsync(
                "ffmpeg",
                ["-hide_banner", "-nostdin", "-v", "error", "-fflags", "+genpts", "-t", WarmUpSeconds.ToString(CultureInfo.InvariantCulture), "-i", "file:" + Path.GetFullPath(path),
                 "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-y", clip],
                TimeSpan.FromSeconds(60), cancellationToken: ct);
            if (cut.ExitCode != 0)
            {
                return Skipped($"ffmpeg could not copy its first {WarmUpSeconds} s: {cut.Stderr.Trim()}");
            }
            var media = await MediaProber.ProbeAsync(clip, ct);
            await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync(ct))
            {
                frame.Dispose();
            }
            var input = new VideoInput(clip, "warm-up", "warm-up");
            var outcomes = (await pipeline.RunAsync([input], new AnalyzeOptions(folder, Force: true), null, ct))
                .Concat(await full.RunAsync([input], fullOptions, null, ct));
            return outcomes.FirstOrDefault(o => o.Status == VideoStatus.Failed) is { } failed
                ? Skipped(failed.Message ?? "the warm-up clip failed")
                : string.Create(CultureInfo.InvariantCulture, $"the first {media.Duration.TotalSeconds:F0} s, once");
        }
        catch (Exception ex) when (ex is Processes.ProgramException or MediaException)
        {
            return Skipped(ex.Message);
        }

        string Skipped(string reason)
        {
            logger.LogWarning("bench: no warm-up ({Reason}); the timings include the runtime's compiling", reason);
            return "none (" + reason + ")";
        }
    }

    private static async Task<double> TimeAudioAsync(AudioFeatureExtractor audio, MediaInfo media, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await foreach (var _ in audio.ExtractAsync(media, cancellationToken: ct))
        {
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static readonly int[] FusionBatches = [1, 16, 64, 256];

    /// <summary>CPU seconds of this process and its finished children so far.</summary>
    private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds + ChildrenCpuSeconds();

    /// <summary>
    /// CPU seconds of this process's finished children (the ffmpeg decoders, once waited for): /proc/self/stat's
    /// cutime + cstime, in clock ticks of 1/100 s (Linux's USER_HZ). 0 where /proc is missing.
    /// </summary>
    private static double ChildrenCpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // Fields after the command name (which may hold spaces) start at the last ')': state is field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Frames the frame stages are timed on alone (held in memory: 32 720p frames are 85 MB).</summary>
    private const int FramesTimedAlone = 32;

    /// <summary>
    /// Each frame network's stage alone: the code the pipeline runs (crops, pre- and post-processing included), on the
    /// video's first decoded frames held in memory, <paramref name="framesPerCall"/> frames a call (the most the
    /// pipeline hands a stage), every stage after a warm-up call and after the stages it needs. Scaled to the whole
    /// video by what the stage works on: frames for the detector, faces for the mesh and the expression CNN (the faces
    /// the full run found), 2 Hz step frames for PoseNet, the step frames' faces for identities. Seconds by stage name,
    /// for <paramref name="analyzer"/> and for <paramref name="squareAnalyzer"/> (the square-input detector and PoseNet).
    /// </summary>
    private static async Task<(Dictionary<string, double> Alone, Dictionary<string, double> Square)> TimeFrameStagesAsync(MediaInfo media, FrameAnalyzer analyzer, FrameAnalyzer squareAnalyzer, int framesPerCall, long faces, CancellationToken ct)
    {
        var frames = new List<VideoFrame>();
        try
        {
            await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync(ct))
            {
                frames.Add(frame);
                if (frames.Count == FramesTimedAlone)
                {
                    break;
                }
            }
            return (TimeStages(analyzer), TimeStages(squareAnalyzer));
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }

        Dictionary<string, double> TimeStages(FrameAnalyzer stages)
        {
            var work = frames.Select(f => new FrameWork(f)).ToList();   // the frames stay ours: released above, not by the stages
            var steps = work.Where(w => w.IsStep).ToList();
            var seconds = new Dictionary<string, double>();
            foreach (var stage in stages.Stages)
            {
                stage.Run(work.Take(framesPerCall).ToList());   // warm-up
                var clock = Stopwatch.StartNew();
                foreach (var call in work.Chunk(framesPerCall))
                {
                    stage.Run(call);
                }
                var elapsed = clock.Elapsed.TotalSeconds;
                seconds[stage.Name] = stage.Name switch
                {
                    "mesh" or "expression" => elapsed / Math.Max(1, work.Sum(w => w.Faces!.Count)) * faces,
                    "identity" => elapsed / Math.Max(1, steps.Sum(w => w.Faces!.Count)) * faces / FaceTicks.PerStep,
                    "pose" => elapsed / Math.Max(1, steps.Count) * media.Duration.TotalSeconds / AudioTimeline.StepSeconds,
                    _ => elapsed / Math.Max(1, work.Count) * media.Duration.TotalSeconds * FrameSampling.FaceStream.RateHz,
                };
            }
            return seconds;
        }
    }

    /// <summary>
    /// The fusion network alone: milliseconds per window when <paramref name="batch"/> windows go into one call
    /// (random features with every modality present: the network's work does not depend on the values; median of 5 calls after a warm-up).
    /// </summary>
    private static double TimeFusion(FusionModel fusion, int batch)
    {
        var random = new Random(1);
        double[] Vector(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var windows = Enumerable.Range(0, batch).Select(_ => new FusionWindow(
            Enumerable.Range(0, fusion.Steps).Select(_ => Vector(fusion.FaceSize)).ToArray(),
            Enumerable.Range(0, fusion.Steps).Select(_ => Vector(fusion.AudioSize)).ToArray(),
            Enumerable.Range(0, fusion.Steps).Select(_ => Vector(fusion.PoseSize)).ToArray(),
            Vector(fusion.FaceSize),
            Enumerable.Range(0, fusion.Steps).Select(_ => Enumerable.Repeat(true, 3).ToArray()).ToArray())).ToList();
        fusion.Run(windows);
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            fusion.Run(windows);
            times.Add(clock.Elapsed.TotalMilliseconds / batch);
        }
        return times.Order().ElementAt(2);
    }
}

    public sealed record BenchResult(
        string Video, double VideoSeconds, int Width, int Height, int ProcessedFrames, long VideoFrames,
        double DecodeOnlySeconds, double DetectorOnlySeconds, double PipelineSeconds,
        double PipelineOverDecode, double PipelineOverBusiestStage, double RealTimeFactor, double DetectorFramesPerSecond,
        string ExecutionProvider, int Cores, long PipelinePeakMemoryMiB,
        double AnalyzeSeconds, double AnalyzeRealTimeFactor, long FusedWindows, Dictionary<string, double> FusionMsPerWindowByBatch,
        Dictionary<string, double> StageSeconds, Dictionary<string, double> StagePerSecond, Dictionary<string, string> StageUnits,
        double AnalyzeOverBusiestStage, double AnalyzeOverStagesSharingTheCores, double DecodeOnlyCpuSeconds, double AudioOnlyCpuSeconds, double AnalyzeOverStageWork, double AnalyzeCpuUtilisation, double AnalyzeFfmpegCpuUtilisation,
        double AnalyzeAllocatedMiB, int AnalyzeGen2Collections, double AnalyzeGcPauseSeconds, double DetectorSquareInputSeconds, double PoseSquareInputSeconds, double? BaselineAnalyzeSeconds, double? AnalyzeOverBaseline,
        Dictionary<string, double> AnalyzeCpuSeconds, string WarmUp, long AnalyzeJitMethods, double AnalyzeJitSeconds);
