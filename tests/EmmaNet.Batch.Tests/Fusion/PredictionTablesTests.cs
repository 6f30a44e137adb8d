using System.Globalization;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>The predictions and attention tables read back by their own class, checked against DuckDB and against damage.</summary>
public sealed class PredictionTablesTests : IDisposable
{
    private static readonly string[] Classes = ["Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Other"];
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Two subjects, three ticks each, windows of 4 steps; frame rows on every other frame, the odd ones filled.</summary>
    private async Task WriteAsync(string stem, Dictionary<string, string> metadata)
    {
        var ticks = new List<TickResult>();
        for (var subject = 0; subject < 2; subject++)
        {
            for (var k = 0; k < 3; k++)
            {
                var p = new float[8];
                p[(subject + k) % 8] = 0.6f;
                p[7] = 0.4f;
                float[][] attention = [[0.1f * k, 0.2f, 0.3f, 0.4f], [0.5f, 0.25f, 0.125f, 0], [1, 0, 0, subject]];
                bool[][] present = [.. Enumerable.Range(0, 4).Select(s => new[] { true, s % 2 == 0, false })];
                ticks.Add(new TickResult(subject, k * 3, k * 15, k * 0.5, k - 2, present, new FusionPrediction(p, attention)));
            }
        }
        var frames = ticks.SelectMany(t => new[] { new FramePrediction(t.Subject, t.FrameIndex, t, false), new FramePrediction(t.Subject, t.FrameIndex + 1, t, true) });
        await PredictionTables.WriteAsync(_temp.Path, stem, "clip", Classes, ticks, frames, metadata, CancellationToken.None);
    }

    private static Dictionary<string, string> Metadata() => new()
    {
        [OutputMetadata.Prefix + "video_id"] = "clip",
        [OutputMetadata.Prefix + "video_frame_count"] = "60",
        [OutputMetadata.Prefix + "subject_choice"] = "all",
        [OutputMetadata.Prefix + "fusion.steps"] = "4",
    };

    [Fact]
    public async Task What_is_written_reads_back_the_same_as_DuckDB_reads_it()
    {
        await WriteAsync("clip", Metadata());
        var path = PredictionTables.PredictionsPath(_temp.Path, "clip");

        var rows = await PredictionTables.ReadPredictionsAsync(path, probabilities: true, CancellationToken.None);
        var attention = await PredictionTables.ReadAttentionAsync(PredictionTables.AttentionPathFor(path), CancellationToken.None);

        Assert.Equal(("clip", 60L, (int?)4, "all"), (rows.VideoId, rows.FrameCount, rows.Steps, rows.SubjectChoice));
        Assert.Equal(Classes, rows.Classes);
        var duck = DuckDb.Query($"SELECT subject, frame_index, label_index, source_tick, filled, prob_happiness FROM '{path}' ORDER BY subject, frame_index");
        Assert.Equal(12, rows.Subject.Length);
        var order = Enumerable.Range(0, rows.Subject.Length).OrderBy(r => rows.Subject[r]).ThenBy(r => rows.FrameIndex[r]).ToList();
        for (var i = 0; i < duck.Count; i++)
        {
            var r = order[i];
            Assert.Equal(duck[i].Count("subject"), rows.Subject[r]);
            Assert.Equal(duck[i].Count("frame_index"), rows.FrameIndex[r]);
            Assert.Equal(duck[i].Count("label_index"), rows.LabelIndex[r]);
            Assert.Equal(duck[i].Count("source_tick"), rows.SourceTick[r]);
            Assert.Equal(duck[i]["filled"].GetBoolean(), rows.Filled[r]);
            Assert.Equal(duck[i].Number("prob_happiness"), rows.Probabilities![4][r], 6);
        }
        // Subject 1, tick 6 (k = 2): the third modality's weight at offset 3 is the subject, the first's at offset 0 is 0.1 k.
        var at = Enumerable.Range(0, attention.Subject.Length).Single(r => attention.Subject[r] == 1 && attention.Tick[r] == 6 && attention.StepOffset[r] == 3);
        Assert.Equal(1, attention.Weights[2][at], 6);
        var first = Enumerable.Range(0, attention.Subject.Length).Single(r => attention.Subject[r] == 1 && attention.Tick[r] == 6 && attention.StepOffset[r] == 0);
        Assert.Equal(0.2, attention.Weights[0][first], 6);
        Assert.Equal(24, attention.Subject.Length);
    }

    [Fact]
    public async Task The_file_records_its_classes_itself()
    {
        var metadata = Metadata();
        metadata.Remove(OutputMetadata.Prefix + "fusion.steps");
        await WriteAsync("clip", metadata);
        var path = PredictionTables.PredictionsPath(_temp.Path, "clip");

        var classes = DuckDb.Query($"SELECT value FROM parquet_kv_metadata('{path}') WHERE key = 'emmanet.fusion.classes'").Single().Text("value");
        var rows = await PredictionTables.ReadPredictionsAsync(path, probabilities: false, CancellationToken.None);

        Assert.Equal(string.Join(",", Classes), classes);
        Assert.Null(rows.Steps);
        Assert.Null(rows.Probabilities);
    }

    [Fact]
    public async Task Missing_metadata_or_another_schema_is_an_error_naming_the_file()
    {
        var metadata = Metadata();
        metadata.Remove(OutputMetadata.Prefix + "video_frame_count");
        await WriteAsync("nocount", metadata);
        var path = PredictionTables.PredictionsPath(_temp.Path, "nocount");
        var attentionPath = PredictionTables.AttentionPath(_temp.Path, "nocount");

        var noCount = await Assert.ThrowsAsync<InvalidDataException>(() => PredictionTables.ReadPredictionsAsync(path, probabilities: false, CancellationToken.None));
        var foreign = await Assert.ThrowsAsync<InvalidDataException>(() => PredictionTables.ReadPredictionsAsync(attentionPath, probabilities: false, CancellationToken.None));
        var wrongWay = await Assert.ThrowsAsync<InvalidDataException>(() => PredictionTables.ReadAttentionAsync(path, CancellationToken.None));

        Assert.Contains(path, noCount.Message, StringComparison.Ordinal);
        Assert.Contains("frame count", noCount.Message, StringComparison.Ordinal);
        Assert.Contains(attentionPath, foreign.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"expected '{PredictionTables.PredictionsSchema}'"), foreign.Message, StringComparison.Ordinal);
        Assert.Contains(path, wrongWay.Message, StringComparison.Ordinal);
    }
}
