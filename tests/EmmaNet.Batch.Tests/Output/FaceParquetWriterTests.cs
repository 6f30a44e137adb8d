using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Output;

/// <summary>The face table's list column over several row groups, read back by DuckDB.</summary>
public sealed class FaceParquetWriterTests
{
    [Fact]
    public async Task Meshes_survive_row_group_boundaries_and_frames_without_faces_have_none()
    {
        using var temp = new TempFolder();
        var path = temp.File("clip.faces.parquet");
        await using (var writer = await FaceParquetWriter.CreateAsync(path, "clip", new Dictionary<string, string>(), CancellationToken.None))
        {
            var face = new FaceDetection(10, 20, 110, 120, 0.9f, new float[12]);
            for (var frame = 0; frame < 5000; frame++)
            {
                // Every 7th frame has no face; every 3rd face has no mesh (as with --no-mesh); two faces otherwise.
                if (frame % 7 == 0)
                {
                    await writer.AddFrameAsync(frame, frame / 6.0, [], null, 1, 1, CancellationToken.None);
                    continue;
                }
                var points = new float[FaceMesh.PointCount * 3];
                points[0] = frame;   // the first value tells the row's frame
                IReadOnlyList<FaceMesh>? meshes = frame % 3 == 0 ? null : [new FaceMesh(points, 1), new FaceMesh(points, 1)];
                await writer.AddFrameAsync(frame, frame / 6.0, [face, face], meshes, 2, 1, CancellationToken.None);
            }
            await writer.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
        }
        var row = DuckDb.Query(
            $"SELECT count(*) AS n, count(mesh) AS meshes, count(*) FILTER (WHERE mesh IS NOT NULL AND (len(mesh) <> {FaceMesh.PointCount * 3} OR mesh[1] <> frame_index * 2)) AS wrong, " +
            $"count(*) FILTER (WHERE face_index IS NULL AND mesh IS NOT NULL) AS stray FROM '{path}'").Single();
        var framesWithFaces = Enumerable.Range(0, 5000).Count(f => f % 7 != 0);
        var framesWithMeshes = Enumerable.Range(0, 5000).Count(f => f % 7 != 0 && f % 3 != 0);
        Assert.Equal(5000 - framesWithFaces + (2 * framesWithFaces), row.Count("n"));
        Assert.Equal(2 * framesWithMeshes, row.Count("meshes"));
        Assert.Equal(0, row.Count("wrong"));
        Assert.Equal(0, row.Count("stray"));
    }
}
