namespace EmmaNet.Batch.Tests.Support;

/// <summary>Where the tests find the repository's samples, models and tools (made by scripts/setup.sh).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string SampleMedia => Path.Combine(RepoRoot, "samples", "media");

    public static string FacesVideo => Path.Combine(SampleMedia, "faces.mp4");

    public static string FacesTruth => Path.Combine(SampleMedia, "faces.json");

    /// <summary>Expressions of the sample photos' faces as a person judged them (committed, not generated).</summary>
    public static string JudgedExpressions => Path.Combine(RepoRoot, "samples", "judged-expressions.json");

    /// <summary>Head turns of the sample photos' faces as a person judged them (committed, not generated).</summary>
    public static string JudgedHeadPose => Path.Combine(RepoRoot, "samples", "judged-head-pose.json");

    public static string JudgedGaze => Path.Combine(RepoRoot, "samples", "judged-gaze.json");

    public static string JudgedFaceMeasures => Path.Combine(RepoRoot, "samples", "judged-face-measures.json");

    /// <summary>face-api's demo photo <c>sample&lt;n&gt;.jpg</c> (n = 1..6), the source of faces.mp4 (fetched by samples/make-samples.sh).</summary>
    public static string FacePhoto(int n) => Path.Combine(RepoRoot, "samples", ".cache", "face-api", "package", "demo", $"sample{n}.jpg");

    public static string Megamind => Path.Combine(SampleMedia, "Megamind.avi");

    public static string VTest => Path.Combine(SampleMedia, "vtest.avi");

    public static string MegamindBugy => "/usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi";

    public static string Models => Path.Combine(RepoRoot, "models");

    public static string DuckDbQuery => Path.Combine(RepoRoot, "tests", "tools", "duckdb-query.mjs");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EmmaNet.Batch.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EmmaNet.Batch.sln not found above " + AppContext.BaseDirectory);
    }
}
