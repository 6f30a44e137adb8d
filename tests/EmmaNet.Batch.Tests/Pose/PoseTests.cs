using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Pose;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Pose;

[Collection(ModelsCollection.Name)]
public sealed class PoseOnRealMediaTests(ModelFixture models)
{
    /// <summary>People in vtest.avi at 10 s, boxed by hand from the frame (x1, y1, x2, y2 in pixels).</summary>
    private static readonly (float X1, float Y1, float X2, float Y2)[] PeopleAt10s =
    [
        (348, 196, 384, 276), (373, 176, 412, 258), (428, 175, 452, 258), (492, 147, 520, 222),
        (513, 150, 544, 222), (588, 150, 620, 236), (222, 60, 240, 95),
    ];

    [Fact]
    public async Task People_are_found_in_most_steps_of_vtest_and_their_keypoints_lie_in_hand_drawn_boxes()
    {
        using var pose = new PoseModel(models.Store, models.Sessions);
        var media = await MediaProber.ProbeAsync(TestPaths.VTest, CancellationToken.None);
        var steps = 0;
        var withPeople = 0;
        List<Skeleton>? at10 = null;
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.ContextStream).ReadAsync())
        {
            using (frame)
            {
                var people = pose.Detect([frame])[0];
                steps++;
                withPeople += people.Count > 0 ? 1 : 0;
                if (Math.Abs(frame.Timestamp - 10) < 0.01)
                {
                    at10 = people;
                }
            }
        }
        Assert.Equal(159, steps);
        Assert.True(withPeople >= steps * 0.9, $"people in {withPeople} of {steps} steps");
        Assert.NotNull(at10);
        Assert.True(at10.Count >= 3, $"{at10.Count} people at 10 s");
        const float margin = 8;
        foreach (var person in at10)
        {
            var confident = person.Keypoints.Where(k => k.Score >= 0.5f).ToList();
            Assert.NotEmpty(confident);
            Assert.Contains(PeopleAt10s, box => confident.All(k => k.X >= box.X1 - margin && k.X <= box.X2 + margin && k.Y >= box.Y1 - margin && k.Y <= box.Y2 + margin));
        }
    }

    [Theory]
    [InlineData("vtest.avi", 385, 289)]
    [InlineData("faces.mp4", 385, 225)]
    public async Task A_fitted_input_finds_the_people_of_the_square_input_at_the_same_places(string sample, int width, int height)
    {
        using var fitted = new PoseModel(models.Store, models.Sessions);
        using var square = new PoseModel(models.Store, models.Sessions, fitToFrame: false);
        var media = await MediaProber.ProbeAsync(Path.Combine(TestPaths.SampleMedia, sample), CancellationToken.None);
        var box = fitted.InputFor(media.Width, media.Height);
        Assert.Equal((width, height), (box.InputWidth, box.InputHeight));
        Assert.Equal((385, 385), (square.InputFor(media.Width, media.Height).InputWidth, square.InputFor(media.Width, media.Height).InputHeight));

        var distances = new List<double>();
        var (people, matched) = (0, 0);
        await foreach (var frame in new VideoFrameReader(media, FrameSampling.ContextStream).ReadAsync())
        {
            using (frame)
            {
                if (frame.Timestamp > 20)
                {
                    break;
                }
                var fromFitted = fitted.Detect([frame])[0];
                foreach (var person in square.Detect([frame])[0].Where(p => p.Keypoints.Count(k => k.Score >= 0.5f) >= 5))
                {
                    people++;
                    var nearest = fromFitted.Select(other => Distances(person, other)).Where(d => d.Count >= 3).MinBy(d => Median(d));
                    if (nearest is not null)
                    {
                        matched++;
                        distances.AddRange(nearest);
                    }
                }
            }
        }
        Assert.True(people >= 10, $"{people} confident people in the square input's first 20 s");
        Assert.True(matched >= people * 0.9, $"{matched} of {people} found again with the fitted input");
        var median = Median(distances);
        Console.WriteLine($"{sample}: {matched}/{people} people, median keypoint distance {median:F2} px");
        Assert.True(median <= 2.0, $"median keypoint distance {median:F2} px");

        static List<double> Distances(Skeleton a, Skeleton b) =>
            a.Keypoints.Zip(b.Keypoints).Where(p => p.First.Score >= 0.5f && p.Second.Score >= 0.5f)
                .Select(p => Math.Sqrt(Math.Pow(p.First.X - p.Second.X, 2) + Math.Pow(p.First.Y - p.Second.Y, 2))).ToList();
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    }
}

public sealed class PoseDecodingTests
{
    /// <summary>Synthetic PoseNet outputs on a 5x5 grid at stride 16: one person with known keypoints.</summary>
    private static (float[] Heat, float[] Offsets, float[] Forward, float[] Backward) OnePerson((int Y, int X, float Oy, float Ox)[] keypoints)
    {
        const int cells = 25;
        var heat = Enumerable.Repeat(-6f, cells * 17).ToArray();
        var offsets = new float[cells * 34];
        for (var k = 0; k < 17; k++)
        {
            var (y, x, oy, ox) = keypoints[k];
            heat[(((y * 5) + x) * 17) + k] = 4f;
            for (var c = 0; c < cells; c++)
            {
                offsets[(c * 34) + k] = oy;
                offsets[(c * 34) + 17 + k] = ox;
            }
        }
        var forward = new float[cells * 32];
        var backward = new float[cells * 32];
        for (var e = 0; e < 16; e++)
        {
            var (parent, child) = CocoKeypoints.Edges[e];
            var p = keypoints[parent];
            var c = keypoints[child];
            var (py, px) = ((p.Y * 16) + p.Oy, (p.X * 16) + p.Ox);
            var (cy, cx) = ((c.Y * 16) + c.Oy, (c.X * 16) + c.Ox);
            forward[(((p.Y * 5) + p.X) * 32) + e] = cy - py;
            forward[(((p.Y * 5) + p.X) * 32) + 16 + e] = cx - px;
            backward[(((c.Y * 5) + c.X) * 32) + e] = py - cy;
            backward[(((c.Y * 5) + c.X) * 32) + 16 + e] = px - cx;
        }
        return (heat, offsets, forward, backward);
    }

    private static readonly (int Y, int X, float Oy, float Ox)[] Body =
    [
        (0, 2, 3, 1), (0, 2, 1, 5), (0, 2, 1, -3), (0, 3, 2, 0), (0, 1, 2, 0), (1, 3, 2, 2), (1, 1, 2, -2), (2, 3, 3, 3),
        (2, 1, 3, -3), (3, 4, 0, 0), (3, 0, 0, 0), (3, 3, 0, 1), (3, 1, 0, -1), (4, 3, 0, 2), (4, 1, 0, -2), (4, 3, 9, 2), (4, 1, 9, -2),
    ];

    [Fact]
    public void Single_pose_is_the_argmax_cell_plus_its_offset()
    {
        var (heat, offsets, _, _) = OnePerson(Body);
        var pose = new PoseNetDecoder(5, 5).Single(heat, offsets);
        for (var k = 0; k < 17; k++)
        {
            Assert.Equal((Body[k].X * 16) + Body[k].Ox, pose.Keypoints[k].X, 3);
            Assert.Equal((Body[k].Y * 16) + Body[k].Oy, pose.Keypoints[k].Y, 3);
            Assert.True(pose.Keypoints[k].Score > 0.98f);
        }
    }

    [Fact]
    public void Multi_pose_walks_the_keypoint_tree_to_every_joint_from_the_strongest_root()
    {
        var (heat, offsets, forward, backward) = OnePerson(Body);
        var poses = new PoseNetDecoder(5, 5).Multiple(heat, offsets, forward, backward, maxPoses: 5, scoreThreshold: 0.5f, nmsRadius: 20);
        // Every joint is a local maximum; only one pose survives because its roots all fall within the radius of the first.
        Assert.Single(poses);
        for (var k = 0; k < 17; k++)
        {
            Assert.Equal((Body[k].X * 16) + Body[k].Ox, poses[0].Keypoints[k].X, 3);
            Assert.Equal((Body[k].Y * 16) + Body[k].Oy, poses[0].Keypoints[k].Y, 3);
        }
    }

    [Fact]
    public void Normalised_features_put_the_shoulder_midpoint_at_zero_and_the_shoulder_width_at_one()
    {
        var keypoints = Enumerable.Range(0, 17).Select(i => new Keypoint(100 + i, 200 + i, 0.9f)).ToArray();
        keypoints[CocoKeypoints.LeftShoulder] = new Keypoint(140, 300, 0.9f);
        keypoints[CocoKeypoints.RightShoulder] = new Keypoint(100, 300, 0.9f);
        keypoints[CocoKeypoints.Nose] = new Keypoint(120, 260, 0.8f);
        keypoints[CocoKeypoints.LeftAnkle] = new Keypoint(0, 0, 0.1f);
        var features = PoseFeatures.Normalise(new Skeleton(keypoints, 0.9f))!;
        Assert.Equal(51, features.Length);
        Assert.Equal([0.5f, 0f, 0.9f], features.AsSpan(CocoKeypoints.LeftShoulder * 3, 3).ToArray());
        Assert.Equal([0f, -1f, 0.8f], features.AsSpan(CocoKeypoints.Nose * 3, 3).ToArray());
        // An unseen joint keeps its confidence but no position.
        Assert.Equal([0f, 0f, 0.1f], features.AsSpan(CocoKeypoints.LeftAnkle * 3, 3).ToArray());
    }

    [Fact]
    public void The_skeleton_matched_to_a_face_is_the_one_whose_head_is_in_the_face_box()
    {
        static Skeleton At(float x, float y) => new(Enumerable.Range(0, 17).Select(i => new Keypoint(x, y + (i * 10), 0.9f)).ToArray(), 0.8f);
        var people = new List<Skeleton> { At(100, 100), At(400, 100) };
        var face = new FaceDetection(380, 80, 420, 120, 0.9f, new float[12]);
        Assert.Same(people[1], PoseFeatures.MatchToFace(people, face));
        Assert.Null(PoseFeatures.MatchToFace(people, new FaceDetection(700, 700, 720, 720, 0.9f, new float[12])));
    }
}
