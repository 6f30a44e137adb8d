using System.CommandLine;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Cli;

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

    /// <summary>The voice features the options ask for, into a run's model choice.</summary>
    public ModelChoice Into(ParseResult parse, ModelChoice choice) =>
        choice with { Audio = parse.GetValue(Kind), AudioCnn = parse.GetValue(Cnn), AudioCnnOutput = parse.GetValue(CnnOutput)! };
}
