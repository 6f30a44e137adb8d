using System.CommandLine;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Cli;

/// <summary><c>--no-reidentify</c> and <c>--no-mesh</c>: the face networks beside the detector and the expression CNN that a run may leave out.</summary>
internal sealed class FaceOptions
{
    public Option<bool> NoReidentify { get; } = new("--no-reidentify")
    {
        Description = "Subjects are IoU tracks, without identity descriptors: faster, but a person who leaves and comes back, or who is on both sides of a cut, becomes a new subject",
    };

    public Option<bool> NoMesh { get; } = new("--no-mesh")
    {
        Description = "No face mesh: faces.parquet without head pose, measures and landmarks, and the expression CNN's crop from the detection box instead (faster; a fusion model trained on mesh-placed crops refuses such features)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(NoReidentify);
        command.Options.Add(NoMesh);
    }

    /// <summary>The face networks the options leave out, into a run's model choice.</summary>
    public ModelChoice Into(ParseResult parse, ModelChoice choice) =>
        choice with { Mesh = !parse.GetValue(NoMesh), Reidentify = !parse.GetValue(NoReidentify) };
}
