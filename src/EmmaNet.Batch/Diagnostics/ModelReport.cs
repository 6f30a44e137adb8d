using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Diagnostics;

/// <summary><c>emmanet models list</c> and <c>verify</c>: the models folder, one line a model.</summary>
public static class ModelReport
{
    /// <summary>Each manifest model: id, role, size on disk or missing, the package it comes from and its licence.</summary>
    public static IEnumerable<string> Listing(ModelStore store) => store.Manifest.Models.Select(m =>
    {
        var path = store.PathOf(m);
        var state = File.Exists(path) ? $"{new FileInfo(path).Length,10:N0} bytes" : "missing";
        return $"{m.Id,-22} {m.Role,-28} {state,-18} {m.Source.Package}@{m.Source.Version} ({m.Licence})";
    });

    /// <summary>
    /// Every manifest model against its sha256, and the default fusion model (trained at setup, not fetched) against
    /// the sha256 recorded when it was trained.
    /// </summary>
    public static IEnumerable<(bool Ok, string Line)> Verify(ModelStore store)
    {
        foreach (var m in store.Manifest.Models)
        {
            string? problem = null;
            try
            {
                store.Verify(m.Id);
            }
            catch (ModelException ex)
            {
                problem = ex.Message;
            }
            yield return problem is null ? (true, $"ok      {m.Id}") : (false, $"FAILED  {problem}");
        }
        var fusionPath = Path.Combine(store.Folder, FusionModel.DefaultFileName);
        string? fusionProblem = null;
        try
        {
            FusionModelRecord.Verify(fusionPath, required: true, FusionModel.DefaultRemedy);
        }
        catch (ModelException ex)
        {
            fusionProblem = ex.Message;
        }
        yield return fusionProblem is not null ? (false, $"FAILED  {fusionProblem}")
            : File.Exists(fusionPath) ? (true, "ok      fusion (default, sha256 as recorded at training)")
            : (false, $"FAILED  {fusionPath}: missing; {FusionModel.DefaultRemedy}");
    }
}
