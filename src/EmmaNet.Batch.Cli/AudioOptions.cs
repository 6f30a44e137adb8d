using System.CommandLine;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Cli;

/// <summary>The voice features a run computes: DeepSpectrum (the bundled ResNet18, or a user's CNN) or log-mel statistics.</summary>
internal enum AudioFeatureKind
{
    DeepSpectrum,
    LogMel,
}

/// <summary><c>--audio</c>, <c>--deepspectrum</c> and <c>--deepspectrum-output</c>, shared by extract, analyze and bench.</summary>
internal sealed class AudioOptions
{
    public Option<AudioFeatureKind?> Kind { get; } = new("--audio")
    {
        Description = "Voice features: deepspectrum (spectrogram pictures through an ImageNet CNN, the paper's) or logmel (log-mel statistics, light). Default: deepspectrum, or in analyze what the fusion model was trained on",
    };

    public Option<string?> Cnn { get; } = new("--deepspectrum") { Description = "An ImageNet CNN (ONNX, e.g. DenseNet-121) for DeepSpectrum instead of the bundled ResNet18" };

    public Option<string> CnnOutput { get; } = new("--deepspectrum-output") { Description = "The CNN output to use as features", DefaultValueFactory = _ => DeepSpectrumModel.DefaultOutput };

    public void AddTo(Command command)
    {
        command.Options.Add(Kind);
        command.Options.Add(Cnn);
        command.Options.Add(CnnOutput);
    }

    /// <summary>The extractor the options ask for; <paramref name="trainedOn"/> (a fusion model's audio CNN id, or null when it used log-mel) decides when <c>--audio</c> is not given.</summary>
    public AudioFeatureExtractor Build(ParseResult parse, ModelStore models, SessionFactory sessions, Owned owned, string? trainedOn = DeepSpectrumModel.BundledId)
    {
        var userCnn = parse.GetValue(Cnn);
        var kind = parse.GetValue(Kind) ?? (userCnn is not null || trainedOn is not null ? AudioFeatureKind.DeepSpectrum : AudioFeatureKind.LogMel);
        if (kind == AudioFeatureKind.LogMel && userCnn is not null)
        {
            throw new ModelException("--deepspectrum names a CNN but --audio logmel uses none");
        }
        var vad = owned.Add(new SileroVad(models, sessions));
        var cnn = kind == AudioFeatureKind.LogMel ? null
            : userCnn is not null ? owned.Add(DeepSpectrumModel.FromFile(userCnn, sessions, parse.GetValue(CnnOutput)!))
            : owned.Add(DeepSpectrumModel.Bundled(models, sessions));
        return new AudioFeatureExtractor(vad, cnn);
    }
}
