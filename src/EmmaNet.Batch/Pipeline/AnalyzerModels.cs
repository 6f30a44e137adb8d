using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Pipeline;

/// <summary>The voice features: DeepSpectrum (spectrogram pictures through an ImageNet CNN, the paper's) or log-mel statistics.</summary>
public enum AudioFeatureKind
{
    DeepSpectrum,
    LogMel,
}

/// <summary>
/// Which networks a run loads. <paramref name="Audio"/> null: DeepSpectrum, or with predictions what the fusion model
/// was trained on; <paramref name="AudioCnn"/> a user's ImageNet CNN instead of the bundled ResNet18;
/// <paramref name="OpenPose"/> an OpenPose body model instead of PoseNet; <paramref name="Fusion"/> a fusion model
/// instead of the default one (whose training record is then required). <paramref name="RequireFusionFit"/> false
/// loads a fusion model that does not fit the feature extractors (for <c>bench</c>, which times it, not its readings).
/// </summary>
public sealed record ModelChoice(
    RunMode Mode,
    bool Mesh = true,
    bool Reidentify = true,
    AudioFeatureKind? Audio = null,
    string? AudioCnn = null,
    string AudioCnnOutput = DeepSpectrumModel.DefaultOutput,
    string? OpenPose = null,
    string? Fusion = null,
    bool RequireFusionFit = true);

/// <summary>
/// Every network a run uses, loaded once and owned here (disposed together, in reverse order of loading; what was
/// loaded is disposed if another one fails): the frame networks as a <see cref="FrameAnalyzer"/>, the voice features
/// with features (their networks loaded on a task beside the frame networks), the fusion model with predictions
/// (checked to fit the feature extractors).
/// </summary>
public sealed class AnalyzerModels : IDisposable
{
    private Owned? _owned;

    private AnalyzerModels()
    {
    }

    public required FrameAnalyzer Analyzer { get; init; }

    public required BlazeFaceDetector Detector { get; init; }

    public FaceMeshModel? Mesh { get; init; }

    public ExpressionModel? Expression { get; init; }

    public IPoseEstimator? Pose { get; init; }

    public FaceIdentityModel? Identity { get; init; }

    /// <summary>The voice features (null when the run makes no features).</summary>
    public AudioFeatureExtractor? Audio { get; init; }

    /// <summary>The fusion model (null unless the run predicts).</summary>
    public FusionModel? Fusion { get; init; }

    /// <summary>The networks, for the pipeline (which does not own them).</summary>
    public PipelineNetworks Networks => new(Analyzer, Audio, Fusion);

    /// <summary>The models whose output features hold, by role: the frame networks', the VAD's and the audio CNN's.</summary>
    public static IEnumerable<(string Role, ModelIdentity Model)> FeatureModels(FrameAnalyzer analyzer, AudioFeatureExtractor audio) =>
        analyzer.Models.Append(("voice_activity", audio.VoiceActivityModel)).Concat(audio.CnnModel is { } cnn ? [("audio_cnn", cnn)] : []);

    /// <exception cref="ModelException">A model is missing or broken, or the fusion model does not fit the extractors.</exception>
    public static AnalyzerModels Load(ModelChoice choice, ModelStore store, SessionFactory sessions)
    {
        var owned = new Owned();
        Task<(SileroVad Vad, DeepSpectrumModel? Cnn)>? voice = null;
        var voiceOwned = false;
        try
        {
            var fusion = choice.Mode == RunMode.Predictions
                ? owned.Add(new FusionModel(choice.Fusion ?? Path.Combine(store.Folder, FusionModel.DefaultFileName), sessions, requireRecord: choice.Fusion is null))
                : null;
            // The voice networks load on a thread of their own while the frame networks load here: DeepSpectrum's
            // ResNet18 alone was 0.6 s of a 1.45 s start on 2 cores.
            voice = choice.Mode == RunMode.Faces ? null : Task.Run(() => LoadVoice(choice, fusion is null ? DeepSpectrumModel.BundledId : fusion.AudioCnnId, store, sessions));
            var detector = owned.Add(new BlazeFaceDetector(store, sessions));
            var mesh = choice.Mesh ? owned.Add(new FaceMeshModel(store, sessions)) : null;
            if (voice is null)
            {
                return new AnalyzerModels { Analyzer = new FrameAnalyzer(detector, mesh: mesh), Detector = detector, Mesh = mesh, _owned = owned };
            }
            var expression = owned.Add(new ExpressionModel(store, sessions));
            var pose = choice.OpenPose is { } openPose ? owned.Add<IPoseEstimator>(new OpenPoseModel(openPose, sessions)) : owned.Add<IPoseEstimator>(new PoseModel(store, sessions));
            var identity = choice.Reidentify ? owned.Add(new FaceIdentityModel(store, sessions)) : null;
            var analyzer = new FrameAnalyzer(detector, expression, pose, identity: identity, mesh: mesh);
            var (vad, cnn) = voice.GetAwaiter().GetResult();
            voiceOwned = true;
            owned.Add(vad);
            if (cnn is not null)
            {
                owned.Add(cnn);
            }
            var audio = new AudioFeatureExtractor(vad, cnn);
            if (choice.RequireFusionFit && fusion?.Mismatch(ExtractorIdentity.FromModels(FeatureModels(analyzer, audio))) is { } problem)
            {
                throw new ModelException($"{fusion.Model.FileName} does not fit these feature extractors: {problem}");
            }
            return new AnalyzerModels { Analyzer = analyzer, Detector = detector, Mesh = mesh, Expression = expression, Pose = pose, Identity = identity, Audio = audio, Fusion = fusion, _owned = owned };
        }
        catch
        {
            if (voice is not null && !voiceOwned)
            {
                // The voice networks loaded beside a failure go with the rest (their own failure, if any, is not the news).
                voice.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
                if (voice.IsCompletedSuccessfully)
                {
                    voice.Result.Cnn?.Dispose();
                    voice.Result.Vad.Dispose();
                }
            }
            owned.Dispose();
            throw;
        }
    }

    /// <summary>The voice activity network and the voice CNN: without --audio, what the fusion model was trained on
    /// (<paramref name="trainedOn"/>, null: log-mel), else the paper's DeepSpectrum.</summary>
    private static (SileroVad Vad, DeepSpectrumModel? Cnn) LoadVoice(ModelChoice choice, string? trainedOn, ModelStore store, SessionFactory sessions)
    {
        var kind = choice.Audio ?? (choice.AudioCnn is not null || trainedOn is not null ? AudioFeatureKind.DeepSpectrum : AudioFeatureKind.LogMel);
        if (kind == AudioFeatureKind.LogMel && choice.AudioCnn is not null)
        {
            throw new ModelException("--deepspectrum names a CNN but --audio logmel uses none");
        }
        var vad = new SileroVad(store, sessions);
        try
        {
            var cnn = kind == AudioFeatureKind.LogMel ? null
                : choice.AudioCnn is { } path ? DeepSpectrumModel.FromFile(path, sessions, choice.AudioCnnOutput) : DeepSpectrumModel.Bundled(store, sessions);
            return (vad, cnn);
        }
        catch
        {
            vad.Dispose();
            throw;
        }
    }

    public void Dispose() => _owned?.Dispose();
}
