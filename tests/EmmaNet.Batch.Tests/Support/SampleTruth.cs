using System.Text.Json;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>What samples/make-samples.sh knows about faces.mp4 (faces.json): per photo its time range, faces, speech.</summary>
public sealed record PhotoSegment(string Photo, double StartS, double EndS, int Faces, double SpeechStartS, double SpeechEndS)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IReadOnlyList<PhotoSegment> LoadAll() =>
        JsonSerializer.Deserialize<List<PhotoSegment>>(File.ReadAllText(TestPaths.FacesTruth), Json)!;
}
