using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Tests.Faces;

public sealed class FaceTrackerTests
{
    private static FaceDetection Box(float x, float y, float size = 40) => new(x, y, x + size, y + size, 0.9f, new float[12]);

    [Fact]
    public void A_track_survives_a_two_tick_gap_and_keeps_its_id()
    {
        var tracker = new FaceTracker(maxMissedTicks: 6);
        var a = tracker.Update(0, 0, [Box(100, 100), Box(400, 100)]);
        tracker.Update(1, 1 / 6.0, [Box(104, 100), Box(402, 101)]);
        tracker.Update(2, 2 / 6.0, [Box(402, 102)]);              // the first face is missed
        tracker.Update(3, 3 / 6.0, [Box(403, 102)]);              // and missed again
        var back = tracker.Update(4, 4 / 6.0, [Box(110, 102), Box(404, 103)]);
        Assert.Equal(a[0].TrackId, back[0].TrackId);
        Assert.Equal(a[1].TrackId, back[1].TrackId);
    }

    [Fact]
    public void A_track_missed_too_long_ends_and_a_new_face_gets_a_new_id()
    {
        var tracker = new FaceTracker(maxMissedTicks: 2);
        var first = tracker.Update(0, 0, [Box(100, 100)]);
        for (var t = 1; t <= 3; t++)
        {
            tracker.Update(t, t / 6.0, []);
            Assert.Empty(tracker.Ended);
        }
        tracker.Update(4, 4 / 6.0, []);
        Assert.Equal([first[0].TrackId], tracker.Ended);
        var later = tracker.Update(5, 5 / 6.0, [Box(100, 100)]);
        Assert.Empty(tracker.Ended);
        Assert.NotEqual(first[0].TrackId, later[0].TrackId);
    }

    [Fact]
    public void Crossing_faces_are_matched_by_overlap_not_by_order()
    {
        var tracker = new FaceTracker();
        var a = tracker.Update(0, 0, [Box(100, 100), Box(300, 100)]);
        var b = tracker.Update(1, 0.17, [Box(305, 100), Box(95, 100)]);
        Assert.Equal(a[0].TrackId, b[1].TrackId);
        Assert.Equal(a[1].TrackId, b[0].TrackId);
    }

    [Fact]
    public void Left_and_right_pick_the_two_largest_tracks_by_position_and_largest_by_area()
    {
        var tracker = new FaceTracker();
        var faces = new List<TrackedFace>();
        for (var t = 0; t < 10; t++)
        {
            // A big face on the right, a smaller one on the left, a tiny one in a corner.
            faces.AddRange(tracker.Update(t, t / 6.0, [Box(800, 200, 120), Box(200, 220, 90), Box(20, 20, 12)]));
        }
        var right = faces.First(f => f.Face.X1 == 800).TrackId;
        var left = faces.First(f => f.Face.X1 == 200).TrackId;
        Assert.Equal([left], SubjectSelection.Select(faces, SubjectChoice.Left));
        Assert.Equal([right], SubjectSelection.Select(faces, SubjectChoice.Right));
        Assert.Equal([right], SubjectSelection.Select(faces, SubjectChoice.Largest));
        Assert.Equal(3, SubjectSelection.Select(faces, SubjectChoice.All).Count);
        Assert.Empty(SubjectSelection.Select([], SubjectChoice.Left));
    }
}
