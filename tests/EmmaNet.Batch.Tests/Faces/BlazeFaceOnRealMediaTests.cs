using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Faces;

[Collection(ModelsCollection.Name)]
public sealed class BlazeFaceOnRealMediaTests(ModelFixture models)
{
    [Fact]
    public async Task Finds_as_many_faces_per_photo_as_a_person_counts_within_one()
    {
        var truth = PhotoSegment.LoadAll();
        var media = await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None);
        var perPhoto = truth.ToDictionary(s => s.Photo, _ => new List<int>());
        var batch = new List<VideoFrame>();
        try
        {
            await foreach (var frame in new VideoFrameReader(media, FrameSampling.ContextStream).ReadAsync())
            {
                batch.Add(frame);
            }
            var faces = models.Detector.Detect(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                var segment = truth.Single(s => batch[i].Timestamp >= s.StartS && batch[i].Timestamp < s.EndS);
                perPhoto[segment.Photo].Add(faces[i].Count);
                foreach (var face in faces[i])
                {
                    // Boxes lie in the frame and every keypoint near its box.
                    Assert.InRange(face.X1, 0, face.X2);
                    Assert.InRange(face.X2, face.X1, batch[i].Width);
                    Assert.InRange(face.Y2, face.Y1, batch[i].Height);
                    for (var k = 0; k < 4; k++)
                    {
                        Assert.InRange(face.Keypoints[k * 2], face.X1 - face.Width * 0.25f, face.X2 + face.Width * 0.25f);
                        Assert.InRange(face.Keypoints[k * 2 + 1], face.Y1 - face.Height * 0.25f, face.Y2 + face.Height * 0.25f);
                    }
                    // Subject's right eye is on the picture's left of the left eye for these frontal faces.
                    Assert.True(face.Keypoints[0] < face.Keypoints[2]);
                }
            }
        }
        finally
        {
            batch.ForEach(f => f.Dispose());
        }

        foreach (var segment in truth)
        {
            var counts = perPhoto[segment.Photo];
            Assert.NotEmpty(counts);
            Assert.All(counts, c => Assert.InRange(c, segment.Faces - 1, segment.Faces + 1));
        }
    }

    [Fact]
    public async Task A_black_frame_has_no_face()
    {
        using var frame = VideoFrame.FromPixels(new byte[320 * 240 * 3], 320, 240, 0, 0);
        Assert.Empty(models.Detector.Detect([frame])[0]);
        await Task.CompletedTask;
    }

    [Fact]
    public void Model_identity_names_the_file_checksum_and_provider()
    {
        var model = models.Detector.Model;
        Assert.Equal("blazeface-back-256", model.Id);
        Assert.Equal(models.Store.Manifest.Get("blazeface-back-256").Sha256, model.Sha256);
        Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
    }
}
