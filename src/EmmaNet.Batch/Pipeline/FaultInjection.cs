namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// A stage failure on request, for the tests that check at the command line what a failing stage leaves behind (exit
/// code, journal, every video's outcome): with <c>EMMANET_FAULT</c> set to a stage's name (<c>decode</c>, <c>audio</c>,
/// a frame network's: <c>face_detector</c>, <c>mesh</c>, <c>expression</c>, <c>identity</c>, <c>pose</c>; <c>assemble</c>,
/// <c>fusion</c>, <c>write</c>), that stage fails as a whole (not one video) when it takes its first item. Unset, it does nothing.
/// </summary>
public static class FaultInjection
{
    public const string Variable = "EMMANET_FAULT";

    private static readonly string? Stage = Environment.GetEnvironmentVariable(Variable);

    public static void At(string stage)
    {
        if (string.Equals(Stage, stage, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a fault injected in the {stage} stage ({Variable}={stage})");
        }
    }
}
