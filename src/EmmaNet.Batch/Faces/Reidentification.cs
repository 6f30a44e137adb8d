namespace EmmaNet.Batch.Faces;

/// <summary>
/// Turns a video's IoU tracks into people by their identity descriptors (<see cref="FaceIdentityModel"/>). While the
/// video plays, a track is cut where <see cref="CutAfter"/> descriptors in a row are unlike its current piece (an IoU
/// track that ran across a scene cut onto another person); at the end, pieces are joined, earliest first, to the most
/// similar person seen before whose pieces do not overlap them in time (a person who left and came back, or the two
/// sides of a cut). "Alike" is a cosine similarity of at least <see cref="Threshold"/> to the mean descriptor.
/// </summary>
/// <remarks>
/// Memory: one 1024-value sum per piece, not a descriptor per face, so a long video costs what its cuts cost.
/// Tracks with no descriptor (every face was seen between the 2 Hz steps) stay people of their own.
/// </remarks>
public sealed class Reidentification(float threshold = Reidentification.DefaultThreshold)
{
    /// <summary>Between the same person's shots (0.85 and more) and different people's (0.68 at most) on the samples: docs/benchmarks.md.</summary>
    public const float DefaultThreshold = 0.77f;

    /// <summary>Unlike descriptors in a row that cut a track: one is a blink, a blur or a turned head.</summary>
    public const int CutAfter = 2;

    private readonly Dictionary<int, TrackPieces> _tracks = new();

    public float Threshold { get; } = threshold;

    /// <summary>The pieces cut so far, over all tracks.</summary>
    public int Cuts => _tracks.Values.Sum(t => t.Pieces.Count - 1);

    /// <summary>One face's descriptor, in tick order within its track.</summary>
    public void Observe(int track, int tick, float[] descriptor)
    {
        if (!_tracks.TryGetValue(track, out var pieces))
        {
            _tracks[track] = pieces = new TrackPieces();
            pieces.Pieces.Add(new Piece(track, int.MinValue, descriptor.Length));
        }
        var current = pieces.Pieces[^1];
        if (current.Count == 0 || FaceIdentityModel.Similarity(current.Mean(), descriptor) >= Threshold)
        {
            pieces.Pending.ForEach(p => current.Add(p.Descriptor));
            pieces.Pending.Clear();
            current.Add(descriptor);
            return;
        }
        pieces.Pending.Add((tick, descriptor));
        if (pieces.Pending.Count >= CutAfter)
        {
            var next = new Piece(track, pieces.Pending[0].Tick, descriptor.Length);
            pieces.Pending.ForEach(p => next.Add(p.Descriptor));
            pieces.Pending.Clear();
            pieces.Pieces.Add(next);
        }
    }

    /// <summary>
    /// The faces with their track ids replaced by person ids: people numbered 0, 1, ... in the order they first appear
    /// (without cuts or joins, the same numbers as the tracks). <paramref name="faces"/> must be every tracked face of
    /// the video.
    /// </summary>
    public List<TrackedFace> Assign(IReadOnlyList<TrackedFace> faces)
    {
        // Each face's piece: the last of its track that starts at or before the face's tick.
        var pieceOf = new Piece[faces.Count];
        var lonely = new Dictionary<int, Piece>();
        for (var i = 0; i < faces.Count; i++)
        {
            var face = faces[i];
            if (_tracks.TryGetValue(face.TrackId, out var pieces))
            {
                pieceOf[i] = pieces.Pieces.Last(p => p.StartTick <= face.Tick);
            }
            else if (!lonely.TryGetValue(face.TrackId, out pieceOf[i]!))
            {
                lonely[face.TrackId] = pieceOf[i] = new Piece(face.TrackId, int.MinValue, 0);
            }
            pieceOf[i].Cover(face.Tick);
        }
        var people = new List<List<Piece>>();
        var personOf = new Dictionary<Piece, int>();
        foreach (var piece in pieceOf.Distinct().OrderBy(p => p.FirstTick).ThenBy(p => p.Track))
        {
            var best = -1;
            var bestSimilarity = Threshold;
            for (var person = 0; piece.Count > 0 && person < people.Count; person++)
            {
                if (people[person].Any(p => p.Overlaps(piece)) || people[person].Sum(p => p.Count) == 0)
                {
                    continue;
                }
                var similarity = FaceIdentityModel.Similarity(MeanOf(people[person]), piece.Mean());
                if (similarity >= bestSimilarity)
                {
                    (best, bestSimilarity) = (person, similarity);
                }
            }
            if (best < 0)
            {
                best = people.Count;
                people.Add([]);
            }
            people[best].Add(piece);
            personOf[piece] = best;
        }
        return faces.Select((f, i) => f with { TrackId = personOf[pieceOf[i]] }).ToList();
    }

    private static float[] MeanOf(List<Piece> pieces)
    {
        var sum = new float[pieces.First(p => p.Count > 0).Sum.Length];
        foreach (var piece in pieces.Where(p => p.Count > 0))
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sum, piece.Sum, sum);
        }
        return FaceIdentityModel.Normalised(sum);
    }

    private sealed class TrackPieces
    {
        public List<Piece> Pieces { get; } = new();

        public List<(int Tick, float[] Descriptor)> Pending { get; } = new();
    }

    /// <summary>Part of one track: the sum of its descriptors and, once faces are assigned, the ticks it covers.</summary>
    private sealed class Piece(int track, int startTick, int size)
    {
        public int Track { get; } = track;

        public int StartTick { get; } = startTick;

        public float[] Sum { get; } = new float[size];

        public int Count { get; private set; }

        public int FirstTick { get; private set; } = int.MaxValue;

        public int LastTick { get; private set; } = int.MinValue;

        public void Add(float[] descriptor)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(Sum, descriptor, Sum);
            Count++;
        }

        public float[] Mean() => FaceIdentityModel.Normalised(Sum);

        public void Cover(int tick) => (FirstTick, LastTick) = (Math.Min(FirstTick, tick), Math.Max(LastTick, tick));

        public bool Overlaps(Piece other) => FirstTick <= other.LastTick && other.FirstTick <= LastTick;
    }
}
