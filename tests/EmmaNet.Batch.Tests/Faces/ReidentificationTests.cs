using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Faces;

/// <summary>Re-identification on made-up descriptors whose similarities are known.</summary>
public sealed class ReidentificationTests
{
    private const int Size = 16;

    /// <summary>Person <paramref name="who"/>'s descriptor with a little noise: people are orthogonal, noise keeps the same person above 0.9.</summary>
    private static float[] Person(int who, int seed)
    {
        var random = new Random((who * 1000) + seed);
        var v = new float[Size];
        v[who] = 1;
        for (var i = 0; i < Size; i++)
        {
            v[i] += (float)(random.NextDouble() - 0.5) * 0.2f;
        }
        return FaceIdentityModel.Normalised(v);
    }

    private static FaceDetection Box(float x) => new(x, 100, x + 100, 200, 0.9f, new float[12]);

    /// <summary>Faces of one track at ticks <paramref name="from"/> to <paramref name="to"/>, descriptors of <paramref name="who"/>(tick) on step ticks.</summary>
    private static IEnumerable<TrackedFace> Track(Reidentification reid, int track, int from, int to, Func<int, int> who)
    {
        for (var tick = from; tick <= to; tick++)
        {
            if (tick % 3 == 0)
            {
                reid.Observe(track, tick, Person(who(tick), tick));
            }
            yield return new TrackedFace(track, tick, tick / 6.0, Box(100 * track));
        }
    }

    private static Dictionary<int, int> SubjectAt(IEnumerable<TrackedFace> faces, int track) =>
        faces.Where(f => f.Face.X1 == 100 * track).ToDictionary(f => f.Tick, f => f.TrackId);

    [Fact]
    public void Without_cuts_or_returns_people_are_the_tracks()
    {
        var reid = new Reidentification();
        var faces = Track(reid, 0, 0, 30, _ => 0).Concat(Track(reid, 1, 0, 30, _ => 1)).Concat(Track(reid, 2, 10, 40, _ => 2)).ToList();
        var assigned = reid.Assign(faces);
        Assert.Equal(faces.Select(f => f.TrackId), assigned.Select(f => f.TrackId));
    }

    [Fact]
    public void A_person_who_comes_back_in_a_new_track_keeps_their_subject()
    {
        var reid = new Reidentification();
        var faces = Track(reid, 0, 0, 30, _ => 4).Concat(Track(reid, 1, 0, 60, _ => 5)).Concat(Track(reid, 2, 45, 80, _ => 4)).ToList();
        var assigned = reid.Assign(faces);
        Assert.Equal([0, 1], assigned.Select(f => f.TrackId).Distinct().Order());
        Assert.All(SubjectAt(assigned, 2).Values, s => Assert.Equal(0, s));
    }

    [Fact]
    public void A_track_that_runs_across_a_cut_onto_another_person_is_cut_there()
    {
        var reid = new Reidentification();
        var faces = Track(reid, 0, 0, 60, tick => tick < 30 ? 1 : 2).ToList();
        var assigned = SubjectAt(reid.Assign(faces), 0);
        Assert.Equal(1, reid.Cuts);
        Assert.All(Enumerable.Range(0, 30), t => Assert.Equal(0, assigned[t]));
        Assert.All(Enumerable.Range(30, 31), t => Assert.Equal(1, assigned[t]));
    }

    [Fact]
    public void One_unlike_descriptor_is_not_a_cut()
    {
        var reid = new Reidentification();
        var faces = Track(reid, 0, 0, 60, tick => tick == 30 ? 7 : 3).ToList();
        var assigned = reid.Assign(faces);
        Assert.Equal(0, reid.Cuts);
        Assert.All(assigned, f => Assert.Equal(0, f.TrackId));
    }

    [Fact]
    public void Two_people_seen_at_the_same_time_are_never_joined_however_alike()
    {
        // Twins: the same descriptors in two tracks that overlap in time.
        var reid = new Reidentification();
        var faces = Track(reid, 0, 0, 30, _ => 6).Concat(Track(reid, 1, 20, 50, _ => 6)).ToList();
        Assert.Equal([0, 1], reid.Assign(faces).Select(f => f.TrackId).Distinct().Order());
    }

    [Fact]
    public void Tracks_without_descriptors_stay_their_own_people()
    {
        var reid = new Reidentification();
        var faces = Enumerable.Range(0, 10).Select(t => new TrackedFace(0, t, t / 6.0, Box(0)))
            .Concat(Enumerable.Range(20, 10).Select(t => new TrackedFace(1, t, t / 6.0, Box(100)))).ToList();
        Assert.Equal(faces.Select(f => f.TrackId), reid.Assign(faces).Select(f => f.TrackId));
    }

    [Fact]
    public void Tracks_retired_to_a_spill_are_joined_as_if_kept_in_memory()
    {
        // Track 0 (person 4) ends and is retired; track 2 brings person 4 back, track 3 cuts from person 5 to 6; track 1
        // is retired while a descriptor of it is still pending (it stays left out, as in memory).
        IEnumerable<TrackedFace> Scene(Reidentification reid, Action<int> ended) =>
            Track(reid, 0, 0, 30, _ => 4).Concat(Track(reid, 1, 0, 33, t => t == 33 ? 8 : 5)).Concat(End(ended, 0)).Concat(End(ended, 1))
                .Concat(Track(reid, 2, 45, 80, _ => 4)).Concat(Track(reid, 3, 40, 90, t => t < 60 ? 5 : 6)).Concat(End(ended, 2));
        static IEnumerable<TrackedFace> End(Action<int> ended, int track)
        {
            ended(track);
            yield break;
        }
        using var temp = new TempFolder();
        using var spill = new VectorSpill(temp.Path, "reid");
        var retiring = new Reidentification(spill: spill);
        var inMemory = new Reidentification();
        var faces = Scene(inMemory, _ => { }).ToList();
        var retired = Scene(retiring, retiring.Retire).ToList();
        Assert.Equal(faces.Select(f => (f.TrackId, f.Tick)), retired.Select(f => (f.TrackId, f.Tick)));
        Assert.Single(Directory.GetFiles(temp.Path));   // the sums went to the spill
        var expected = inMemory.Assign(faces).Select(f => f.TrackId).ToList();
        Assert.Equal(expected, retiring.Assign(retired).Select(f => f.TrackId));
        Assert.Equal([0, 1, 2], expected.Distinct().Order());   // person 4 came back; track 3 was cut from person 5 to 6
        Assert.Equal(inMemory.Cuts, retiring.Cuts);
    }
}
