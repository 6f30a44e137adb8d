using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet extract &lt;videos...&gt; -o &lt;dir&gt;</c>: per video, the subjects' face, voice and body features on the
/// EMMA-Net timeline. The same pipeline as <c>analyze</c>, with features on and face detections off.
/// </summary>
internal static class ExtractCommand
{
    public static Command Create()
    {
        var batchInputs = new BatchInputs();
        var subject = new Option<SubjectChoice>("--subject") { Description = "Whose features: largest, left, right or all (every track)", DefaultValueFactory = _ => SubjectChoice.Largest };
        var openPose = new Option<string?>("--openpose") { Description = "An OpenPose body model (ONNX, COCO-18 or BODY_25) to use instead of PoseNet" };
        var command = new Command("extract", "Extract per-subject face, audio and pose features (2 Hz steps and 6 Hz face ticks) as Parquet")
        {
            subject, openPose,
        };
        batchInputs.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var choice = new ModelChoice(RunMode.Features, OpenPose: parse.GetValue(openPose));
            return batchInputs.RunAsync("extract", parse, choice, (_, _) => batchInputs.Options(parse, RunMode.Features) with { Subject = parse.GetValue(subject) }, cancellationToken);
        });
        return command;
    }
}
