namespace EmmaNet.Batch;

/// <summary>What a run's exit code means (documented in the README).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int SomeVideosFailed = 1;
    public const int CouldNotRun = 2;

    /// <summary>The run stopped part way on a failure that is not about one video (a model failing, a bug); finished outputs are kept.</summary>
    public const int RunFailed = 3;

    /// <summary>Another run holds the output folder's lock (EX_TEMPFAIL: try again later).</summary>
    public const int OutputLocked = 75;
    public const int Cancelled = 130;
}
