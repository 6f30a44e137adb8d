using EmmaNet.Batch.Files;

namespace EmmaNet.Batch.Faces;

/// <summary>
/// Turns a video's IoU tracks into people by their identity descriptors (<see cref="FaceIdentityModel"/>). While the
/// video plays, a track is cut where <see cref="CutAfter"/> descriptors in a row are unlike its current piece (an IoU
/// track that ran across a scene cut onto another person); at the end, pieces are joined, earliest first, to the most
/// similar person seen before whose pieces do not overlap them in time (a person who left and came back, or the two
/// sides of a cut). "Alike" is a cosine similarity of at least <see cref="Threshold"/> to the mean descriptor.
/// </summary>
/// <remarks>
/// Memory: one 1024-value sum per piece, not a descriptor per face; with a <c>spill</c>, the pieces of a track that
/// ended (<see cref="Retire"/>) wait there until <see cref="Assign"/> reads each once, so what stays in memory is the
/// live tracks' sums, not the sums of everyone a long video showed.
/// Tracks with no descriptor (every face was seen between the 2 Hz steps) stay people of their own.
/// </remarks>
public sealed class Reidentification(float threshold = Reidentification.DefaultThreshold, VectorSpill? spill = null)
{
    /// <summary>Between the same person's shots (0.85 and more) and different people's (0.68 at most) on the samples: docs/benchmarks.md.</summary>
    public const float DefaultThreshold = 0.77f;

    /// <summary>Unlike descriptors in a row that cut a track: one is a blink, a blur or a turned head.</summary>
    public const int CutAfter = 2;

    private readonly Dictionary<int, TrackPieces> _tracks = new();

    public float Threshold { get; } = threshold;

    /// <summary>The pieces cut so far, over all tracks.</summary>
    public int Cuts => _tracks.Values.Sum(t => t.Pieces.Count - 1);

    /// <summary>
    /// A track that will not be observed again: its pieces' sums go to the spill (when there is one). Its pending
    /// descriptors are dropped, as they would have stayed pending: only a later alike descriptor adds them.
    /// </summary>
    public void Retire(int track)
    {
        if (spill is null || !_tracks.TryGetValue(track, out var pieces))
        {
            return;
        }
        pieces.Pending.Clear();
        foreach (var piece in pieces.Pieces)
        {
            piece.Retire(spill);
        }
    }

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
        var people = new List<Person>();
        var personOf = new Dictionary<Piece, int>();
        foreach (var piece in pieceOf.Distinct().OrderBy(p => p.FirstTick).ThenBy(p => p.Track))
        {
            // Each piece's sum is read once (from the spill when its track was retired).
            var sum = piece.Count > 0 ? piece.Sum() : null;
            var mean = sum is null ? null : FaceIdentityModel.Normalised(sum);
            var best = -1;
            var bestSimilarity = Threshold;
            for (var person = 0; mean is not null && person < people.Count; person++)
            {
                if (people[person].Mean is not { } personMean || people[person].Pieces.Any(p => p.Overlaps(piece)))
                {
                    continue;
                }
                var similarity = FaceIdentityModel.Similarity(personMean, mean);
                if (similarity >= bestSimilarity)
                {
                    (best, bestSimilarity) = (person, similarity);
                }
            }
            if (best < 0)
            {
                best = people.Count;
                people.Add(new Person());
            }
            people[best].Add(piece, sum);
            personOf[piece] = best;
        }
        return faces.Select((f, i) => f with { TrackId = personOf[pieceOf[i]] }).ToList();
    }

    /// <summary>A person's pieces and the running sum of their descriptors (added in the pieces' order).</summary>
    private sealed class Person
    {
        private float[]? _sum;

        public List<Piece> Pieces { get; } = new();

        /// <summary>The normalised sum, or null while no piece holds a descriptor.</summary>
        public float[]? Mean { get; private set; }

        public void Add(Piece piece, float[]? sum)
        {
            Pieces.Add(piece);
            if (sum is not null)
            {
                _sum ??= new float[sum.Length];
                System.Numerics.Tensors.TensorPrimitives.Add(_sum, sum, _sum);
                Mean = FaceIdentityModel.Normalised(_sum);
            }
        }
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

        private float[]? _sum = new float[size];
        private VectorSpill? _spill;
        private VectorSpill.Place _spilled;

        public int Count { get; private set; }

        public int FirstTick { get; private set; } = int.MaxValue;

        public int LastTick { get; private set; } = int.MinValue;

        /// <summary>The sum of the piece's descriptors (read back from the spill once retired).</summary>
        public float[] Sum() => _sum ?? _spill!.Read(_spilled);

        public void Add(float[] descriptor)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(_sum!, descriptor, _sum);
            Count++;
        }

        public float[] Mean() => FaceIdentityModel.Normalised(Sum());

        /// <summary>No descriptor comes any more: the sum leaves memory for the spill.</summary>
        public void Retire(VectorSpill spill)
        {
            if (_sum is not null)
            {
                (_spill, _spilled, _sum) = (spill, spill.Write(_sum), null);
            }
        }

        public void Cover(int tick) => (FirstTick, LastTick) = (Math.Min(FirstTick, tick), Math.Max(LastTick, tick));

        public bool Overlaps(Piece other) => FirstTick <= other.LastTick && other.FirstTick <= LastTick;
    }
}
