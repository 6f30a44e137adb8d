namespace EmmaNet.Batch.Faces;

/// <summary>Which tracked person a video's features describe (ABAW's two-person videos have _left and _right files).</summary>
public enum SubjectChoice
{
    /// <summary>The track with the most face area over the video (size times presence).</summary>
    Largest,

    /// <summary>Of the two largest tracks, the one further left in the picture.</summary>
    Left,

    /// <summary>Of the two largest tracks, the one further right in the picture.</summary>
    Right,

    /// <summary>Every track seen at least <see cref="SubjectSelection.MinTicksForAll"/> times.</summary>
    All,
}

/// <summary>Picks subject tracks from a video's tracked faces.</summary>
public static class SubjectSelection
{
    public const int MinTicksForAll = 3;

    public static IReadOnlyList<int> Select(IEnumerable<TrackedFace> faces, SubjectChoice choice)
    {
        var tracks = faces.GroupBy(f => f.TrackId)
            .Select(g => (Id: g.Key, Area: g.Sum(f => (double)f.Face.Area), CentreX: g.Average(f => (f.Face.X1 + f.Face.X2) / 2.0), Ticks: g.Count()))
            .OrderByDescending(t => t.Area).ThenBy(t => t.Id)
            .ToList();
        if (tracks.Count == 0)
        {
            return [];
        }
        return choice switch
        {
            SubjectChoice.Largest => [tracks[0].Id],
            SubjectChoice.Left => [tracks.Take(2).MinBy(t => t.CentreX).Id],
            SubjectChoice.Right => [tracks.Take(2).MaxBy(t => t.CentreX).Id],
            _ => tracks.Where(t => t.Ticks >= MinTicksForAll).Select(t => t.Id).Order().ToList(),
        };
    }
}
