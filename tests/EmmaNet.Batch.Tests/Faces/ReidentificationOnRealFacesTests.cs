using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Faces;

/// <summary>Identities across a cut on real faces: photo A, photo B, photo A again (3 different people in each; judged by looking).</summary>
[Collection(ModelsCollection.Name)]
public sealed class ReidentificationOnRealFacesTests(ModelFixture models)
{
    private const double SegmentSeconds = 3;

    [Fact]
    public async Task Photo_A_then_B_then_A_gives_the_people_of_A_the_same_subjects_both_times_and_B_others()
    {
        using var temp = new TempFolder();
        var clip = temp.File("aba.mp4");
        const string fit = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30";
        var (a, b) = (TestPaths.FacePhoto(1), TestPaths.FacePhoto(2));
        GeneratedClips.Run("ffmpeg", $"-v error -y -loop 1 -t {SegmentSeconds} -i \"{a}\" -loop 1 -t {SegmentSeconds} -i \"{b}\" -loop 1 -t {SegmentSeconds} -i \"{a}\" " +
            $"-filter_complex \"[0]{fit}[a];[1]{fit}[b];[2]{fit}[c];[a][b][c]concat=n=3:v=1[v]\" -map \"[v]\" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{clip}\"");
        using var expression = new ExpressionModel(models.Store, models.Sessions);
        using var identity = new FaceIdentityModel(models.Store, models.Sessions);

        var people = await SegmentsOfEachSubjectAsync(clip, new FrameAnalyzer(models.Detector, expression, identity: identity));
        Assert.Equal(6, people.Count);
        Assert.Equal(3, people.Values.Count(s => s == "0,2"));
        Assert.Equal(3, people.Values.Count(s => s == "1"));

        // Without descriptors the same clip's people of A become new subjects after B.
        var tracks = await SegmentsOfEachSubjectAsync(clip, new FrameAnalyzer(models.Detector, expression));
        Assert.DoesNotContain("0,2", tracks.Values);
        Assert.True(tracks.Count > 6, $"{tracks.Count} tracks");
    }

    /// <summary>For each subject of the clip's <c>all</c> features, the segments (0, 1, 2) its face is seen in, as "0,2".</summary>
    private static async Task<Dictionary<int, string>> SegmentsOfEachSubjectAsync(string clip, FrameAnalyzer analyzer)
    {
        var media = await MediaProber.ProbeAsync(clip, CancellationToken.None);
        using var assembler = new FeatureAssembler(SubjectChoice.All);
        var batch = new List<VideoFrame>();
        void Flush()
        {
            foreach (var result in analyzer.Analyze(batch))
            {
                assembler.Add(result);
            }
            batch.ForEach(f => f.Dispose());
            batch.Clear();
        }
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync())
        {
            batch.Add(frame);
            if (batch.Count == 8)
            {
                Flush();
            }
        }
        Flush();
        var features = assembler.Build([], [], 0, 3 * SegmentSeconds);
        return features.Ticks.Where(t => t.Face is not null).GroupBy(t => t.Subject)
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(t => (int)(t.Time / SegmentSeconds)).Distinct().Order()));
    }
}
