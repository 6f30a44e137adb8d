using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;

namespace EmmaNet.Batch.Cli;

/// <summary><c>--no-reidentify</c>, shared by extract and analyze: whether subjects are people (identity descriptors) or IoU tracks.</summary>
internal sealed class ReidentifyOption
{
    public Option<bool> Off { get; } = new("--no-reidentify")
    {
        Description = "Subjects are IoU tracks, without identity descriptors: faster, but a person who leaves and comes back, or who is on both sides of a cut, becomes a new subject",
    };

    public void AddTo(Command command) => command.Options.Add(Off);

    /// <summary>The identity model, or null with <c>--no-reidentify</c>.</summary>
    public FaceIdentityModel? Build(ParseResult parse, ModelStore models, SessionFactory sessions, Owned owned) =>
        parse.GetValue(Off) ? null : owned.Add(new FaceIdentityModel(models, sessions));
}
