using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;

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
        Description = "No face mesh: faces.parquet without head pose, measures and landmarks (faster)",
    };

    /// <summary>Adds <c>--no-reidentify</c>, and <c>--no-mesh</c> where the command writes faces.parquet.</summary>
    public void AddTo(Command command, bool writesFaces)
    {
        command.Options.Add(NoReidentify);
        if (writesFaces)
        {
            command.Options.Add(NoMesh);
        }
    }

    /// <summary>The identity model, or null with <c>--no-reidentify</c>.</summary>
    public FaceIdentityModel? Identity(ParseResult parse, ModelStore models, SessionFactory sessions, Owned owned) =>
        parse.GetValue(NoReidentify) ? null : owned.Add(new FaceIdentityModel(models, sessions));

    /// <summary>The mesh model, or null with <c>--no-mesh</c>.</summary>
    public FaceMeshModel? Mesh(ParseResult parse, ModelStore models, SessionFactory sessions, Owned owned) =>
        parse.GetValue(NoMesh) ? null : owned.Add(new FaceMeshModel(models, sessions));
}
