using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Fusion;

public sealed class ExtractorIdentityTests
{
    private static readonly Dictionary<string, string> Trained = new()
    {
        ["face_expression"] = "fer-mini-xception sha256:aa",
        ["face_identity"] = "faceres sha256:bb",
    };

    [Fact]
    public void Another_expression_model_is_a_mismatch_named_by_its_role()
    {
        var problem = ExtractorIdentity.Mismatch(Trained, new Dictionary<string, string>(Trained) { ["face_expression"] = "other sha256:cc" });
        Assert.StartsWith("face_expression: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Features_made_with_or_without_identity_descriptors_fit_the_same_model()
    {
        var without = new Dictionary<string, string> { ["face_expression"] = "fer-mini-xception sha256:aa" };
        Assert.Null(ExtractorIdentity.Mismatch(Trained, without));
        Assert.Null(ExtractorIdentity.Mismatch(without, Trained));
    }
}
