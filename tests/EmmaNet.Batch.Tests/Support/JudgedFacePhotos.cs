using System.Text.Json;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Imaging;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>A face whose expression a person judged by looking at it (samples/judged-expressions.json).</summary>
/// <param name="Source">A photo ("sample3.jpg") or a video frame ("Megamind.avi@92").</param>
/// <param name="Face">Its index among the source's detected faces, counted from the left by their centres.</param>
public sealed record JudgedFace(string Source, int Face, string Expression);

/// <summary>One frame per sample photo, and the judged frames of the sample videos, with their detected faces counted from the left by their centres.</summary>
public sealed record DetectedPhoto(string Source, BgrImage Frame, List<FaceDetection> Faces);

/// <summary>The judged faces and the frames they are read from.</summary>
public sealed record JudgedMaterial(List<DetectedPhoto> Frames, List<JudgedFace> Judged);

/// <summary>The judged faces and the material the expression studies read them from.</summary>
public static class JudgedFacePhotos
{
    public static async Task<JudgedMaterial> LoadAsync(IFaceDetector detector)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.JudgedExpressions));
        var root = doc.RootElement;
        var judged = root.GetProperty("faces").EnumerateArray()
            .Select(f => new JudgedFace(f.GetProperty("photo").GetString()!, f.GetProperty("face").GetInt32(), f.GetProperty("expression").GetString()!))
            .ToList();
        var frames = await PhotoFramesAsync(detector);
        foreach (var byVideo in root.GetProperty("video_faces").EnumerateArray().GroupBy(f => f.GetProperty("video").GetString()!))
        {
            var wanted = byVideo.ToList();
            var indices = wanted.Select(f => f.GetProperty("frame_index").GetInt64()).ToHashSet();
            var media = await MediaProber.ProbeAsync(Path.Combine(TestPaths.SampleMedia, byVideo.Key), CancellationToken.None);
            await foreach (var frame in new VideoFrameReader(media, FrameSampling.FaceStream).ReadAsync())
            {
                using (frame)
                {
                    if (indices.Contains(frame.FrameIndex))
                    {
                        frames.Add(Detected($"{byVideo.Key}@{frame.FrameIndex}", frame, detector));
                    }
                }
            }
            foreach (var face in wanted)
            {
                var source = $"{byVideo.Key}@{face.GetProperty("frame_index").GetInt64()}";
                var detected = frames.SingleOrDefault(f => f.Source == source) ?? throw new InvalidOperationException($"{source}: no such frame in the 6 Hz face stream");
                var centre = face.GetProperty("centre").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                var nearest = detected.Faces.Select((d, i) => (i, Distance: float.Hypot(((d.X1 + d.X2) / 2) - centre[0], ((d.Y1 + d.Y2) / 2) - centre[1])))
                    .OrderBy(d => d.Distance).First();
                // A face found elsewhere means the detector changed: the judgement would name another face.
                Assert.True(nearest.Distance < 20, $"{source}: no detected face within 20 px of the judged face at ({centre[0]}, {centre[1]})");
                judged.Add(new JudgedFace(source, nearest.i, face.GetProperty("expression").GetString()!));
            }
        }
        return new JudgedMaterial(frames, judged);
    }

    private static async Task<List<DetectedPhoto>> PhotoFramesAsync(IFaceDetector detector)
    {
        var truth = PhotoSegment.LoadAll();
        var media = await MediaProber.ProbeAsync(TestPaths.FacesVideo, CancellationToken.None);
        var photos = new List<DetectedPhoto>();
        await foreach (var frame in new VideoFrameReader(media, new FrameSampling(0.2)).ReadAsync())
        {
            using (frame)
            {
                photos.Add(Detected(truth.Single(s => frame.Timestamp >= s.StartS && frame.Timestamp < s.EndS).Photo, frame, detector));
            }
        }
        return photos;
    }

    private static DetectedPhoto Detected(string source, Batch.Decoding.VideoFrame frame, IFaceDetector detector)
    {
        var faces = detector.Detect([frame])[0].OrderBy(f => f.X1 + f.X2).ToList();
        var copy = new BgrImage(frame.Width, frame.Height);
        frame.Pixels.CopyTo(copy.Pixels);
        return new DetectedPhoto(source, copy, faces);
    }

    /// <summary>8 boxes moved by 5% of the box side (left, right, up, down, diagonally) or scaled by 0.95 and 1.05.</summary>
    public static IEnumerable<FaceDetection> Jitters(FaceDetection f)
    {
        var side = Math.Max(f.Width, f.Height);
        foreach (var (dx, dy, scale) in new[] { (0.05f, 0f, 1f), (-0.05f, 0f, 1f), (0f, 0.05f, 1f), (0f, -0.05f, 1f), (0f, 0f, 1.05f), (0f, 0f, 0.95f), (0.05f, 0.05f, 1.05f), (-0.05f, -0.05f, 0.95f) })
        {
            var (cx, cy) = (((f.X1 + f.X2) / 2) + (dx * side), ((f.Y1 + f.Y2) / 2) + (dy * side));
            var (hw, hh) = (f.Width * scale / 2, f.Height * scale / 2);
            yield return new FaceDetection(cx - hw, cy - hh, cx + hw, cy + hh, f.Score, f.Keypoints);
        }
    }
}
