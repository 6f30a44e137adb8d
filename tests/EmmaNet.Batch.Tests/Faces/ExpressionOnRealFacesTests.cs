using EmmaNet.Batch.Imaging;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Faces;

/// <summary>The expression CNN on aligned crops of the face-api photos, one frame per photo (its first frame).</summary>
[Collection(ModelsCollection.Name)]
public sealed class ExpressionOnRealFacesTests(ModelFixture models)
{
    private async Task<Dictionary<string, List<string>>> TopClassesLeftToRight()
    {
        using var expression = new ExpressionModel(models.Store, models.Sessions);
        var aligner = Batch.Pipeline.FrameAnalyzer.BoxCrop;
        var truth = PhotoSegment.LoadAll();
        var media = await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None);
        var result = new Dictionary<string, List<string>>();
        await foreach (var frame in new VideoFrameReader(media, new FrameSampling(0.2)).ReadAsync())
        {
            using (frame)
            {
                var faces = models.Detector.Detect([frame])[0].OrderBy(f => f.X1).ToList();
                var crops = faces.Select(f => aligner.Crop(frame.View, f)).ToList();
                var photo = truth.Single(s => frame.Timestamp >= s.StartS && frame.Timestamp < s.EndS).Photo;
                result[photo] = expression.Run(crops).Select(e => ExpressionModel.ClassNames[e.TopClass]).ToList();
            }
        }
        return result;
    }

    [Fact]
    public async Task Clearly_smiling_faces_read_as_happy_and_the_unsmiling_photo_does_not()
    {
        var top = await TopClassesLeftToRight();
        // Faces counted from the picture's left; chosen by a person as open, clearly visible smiles.
        Assert.Equal("happy", top["sample1.jpg"][2]);   // right: wide open smile
        Assert.Equal("happy", top["sample3.jpg"][1]);   // middle: smile
        Assert.Equal("happy", top["sample3.jpg"][2]);   // right: smile showing teeth
        Assert.Equal("happy", top["sample4.jpg"][3]);   // right (blonde): laughing
        Assert.Equal("happy", top["sample6.jpg"][1]);   // second from left: smile showing teeth
        // sample2: three women looking down, none smiling.
        Assert.DoesNotContain("happy", top["sample2.jpg"]);
    }

    [Fact]
    public void Aligned_crops_are_upright_squares_of_the_model_size()
    {
        var aligner = new FaceAligner();
        var frame = new BgrImage(300, 200);
        frame.Pixels.Fill(255);
        // Eyes on a line tilted by 45 degrees.
        var face = new FaceDetection(100, 50, 180, 130, 0.9f, [120, 70, 160, 110, 140, 90, 140, 110, 100, 90, 180, 90]);
        var crop = aligner.Crop(frame, face);
        Assert.Equal((64, 64), (crop.Width, crop.Height));
        // The face box is inside the frame: the crop's centre is the frame's white, not the black border.
        Assert.Equal(255, crop.At(32, 32).B);
    }
}
