namespace EmmaNet.Batch.Faces;

/// <summary>A face at one tick, with the track it belongs to.</summary>
public readonly record struct TrackedFace(int TrackId, int Tick, double Time, FaceDetection Face);

/// <summary>
/// Follows faces across face-stream ticks by IoU: at each tick, detections and live tracks are matched greedily by
/// descending IoU (at least <c>minIou</c>) against the track's last box; unmatched detections start new tracks; a
/// track survives up to <c>maxMissedTicks</c> ticks without a match (a turned head, a blink of the detector).
/// </summary>
public sealed class FaceTracker(float minIou = 0.3f, int maxMissedTicks = 6)
{
    private readonly List<(int Id, FaceDetection Last, int LastTick)> _live = new();
    private readonly List<int> _ended = new();
    private int _nextId;

    /// <summary>The tracks the last <see cref="Update"/> ended (unmatched too long): their ids never come back.</summary>
    public IReadOnlyList<int> Ended => _ended;

    public IReadOnlyList<TrackedFace> Update(int tick, double time, IReadOnlyList<FaceDetection> faces)
    {
        _ended.Clear();
        _live.RemoveAll(t =>
        {
            var over = tick - t.LastTick > maxMissedTicks + 1;
            if (over)
            {
                _ended.Add(t.Id);
            }
            return over;
        });
        var pairs = new List<(float Iou, int Track, int Face)>();
        for (var t = 0; t < _live.Count; t++)
        {
            for (var f = 0; f < faces.Count; f++)
            {
                var iou = _live[t].Last.IoU(faces[f]);
                if (iou >= minIou)
                {
                    pairs.Add((iou, t, f));
                }
            }
        }
        var trackUsed = new bool[_live.Count];
        var faceTrack = Enumerable.Repeat(-1, faces.Count).ToArray();
        foreach (var (_, t, f) in pairs.OrderByDescending(p => p.Iou))
        {
            if (!trackUsed[t] && faceTrack[f] < 0)
            {
                trackUsed[t] = true;
                faceTrack[f] = t;
            }
        }
        var result = new List<TrackedFace>(faces.Count);
        for (var f = 0; f < faces.Count; f++)
        {
            int id;
            if (faceTrack[f] >= 0)
            {
                id = _live[faceTrack[f]].Id;
                _live[faceTrack[f]] = (id, faces[f], tick);
            }
            else
            {
                id = _nextId++;
                _live.Add((id, faces[f], tick));
            }
            result.Add(new TrackedFace(id, tick, time, faces[f]));
        }
        return result;
    }
}
