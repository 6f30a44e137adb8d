using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Faces;

/// <summary>
/// The product expression network's crop measured against faces a person judged (samples/judged-expressions.json): for each crop
/// convention (box scale, eye levelling, the detector's box or the face mesh's), the accuracy on the judged faces and
/// the stability of the top class when the detection box moves or grows by 5% (a mesh-placed crop sees the mesh run on
/// the moved box), on every detected face of the sample photos. docs/benchmarks.md holds the table.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class ExpressionCropStudyTests(ModelFixture models, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly float[] BoxScales = [1.0f, 1.25f, 1.5f, 1.75f, 2.0f, 2.25f];

    private static readonly float[] MeshScales = [1.0f, 1.1f, 1.2f, 1.3f, 1.45f];

    private sealed record Row(float Margin, bool Level, bool Mesh, int Correct, int Judged, double Stable, double JitteredCorrect);

    [Fact]
    public async Task The_product_crop_is_the_most_accurate_on_the_judged_faces_and_stable_under_jitter()
    {
        var (photos, judged) = await JudgedFacePhotos.LoadAsync(models.Detector);
        using var expression = new ExpressionModel(models.Store, models.Sessions);
        using var mesh = new FaceMeshModel(models.Store, models.Sessions);
        string Top(FaceAligner aligner, bool byMesh, BgrImage frame, FaceDetection face)
        {
            var crop = byMesh ? aligner.Crop(frame, mesh.Describe(frame, [face])[0]) : aligner.Crop(frame, face);
            return ExpressionModel.ClassNames[expression.Run([crop])[0].TopClass];
        }

        var rows = new List<Row>();
        var conventions = BoxScales.SelectMany(m => new[] { (m, true, false), (m, false, false) }).Concat(MeshScales.Select(m => (m, true, true)));
        foreach (var (margin, level, byMesh) in conventions)
        {
            {
                var aligner = new FaceAligner(ExpressionModel.InputSize, margin, level);
                int correct = 0, same = 0, jittered = 0, jitteredCorrect = 0, jitteredJudged = 0;
                foreach (var (photo, frame, faces) in photos)
                {
                    for (var i = 0; i < faces.Count; i++)
                    {
                        var top = Top(aligner, byMesh, frame, faces[i]);
                        var truth = judged.SingleOrDefault(j => j.Source == photo && j.Face == i)?.Expression;
                        correct += top == truth ? 1 : 0;
                        foreach (var moved in JudgedFacePhotos.Jitters(faces[i]))
                        {
                            var topMoved = Top(aligner, byMesh, frame, moved);
                            same += topMoved == top ? 1 : 0;
                            jittered++;
                            if (truth is not null)
                            {
                                jitteredCorrect += topMoved == truth ? 1 : 0;
                                jitteredJudged++;
                            }
                        }
                    }
                }
                rows.Add(new Row(margin, level, byMesh, correct, judged.Count, (double)same / jittered, (double)jitteredCorrect / jitteredJudged));
            }
        }
        foreach (var r in rows)
        {
            output.WriteLine($"| {r.Margin:F2} x the {(r.Mesh ? "mesh's" : "detector's")} box | {(r.Level ? "levelled" : "as detected")} | {r.Correct} of {r.Judged} | {r.JitteredCorrect:P0} | {r.Stable:P0} |");
        }
        var product = Batch.Pipeline.FrameAnalyzer.MeshCrop;
        var mine = rows.Single(r => r.Mesh && r.Margin == product.Margin && r.Level == product.LevelEyes);
        foreach (var j in judged)
        {
            var (_, frame, faces) = photos.Single(p => p.Source == j.Source);
            output.WriteLine($"{j.Source} face {j.Face}: judged {j.Expression}, read {Top(product, true, frame, faces[j.Face])}");
        }
        // Measured with face-api's net (the product's): 21 of 24 for the mesh's box at 1.0, 20 for the detector's box at 1.0 levelled; the product must stay the best, and of those as good, the steadiest.
        Assert.Equal(rows.Max(r => r.Correct), mine.Correct);
        Assert.Equal(rows.Where(r => r.Correct == mine.Correct).Max(r => r.Stable), mine.Stable);
    }
}
