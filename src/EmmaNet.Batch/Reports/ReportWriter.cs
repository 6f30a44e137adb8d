using System.Globalization;
using System.Net;
using System.Text;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;
using ScottPlot;

namespace EmmaNet.Batch.Reports;

/// <summary>What <c>report</c> made: pages written, and videos that could not be reported, each with its reason.</summary>
public sealed record ReportOutcome(IReadOnlyList<string> Pages, IReadOnlyList<string> Failures);

/// <summary>
/// Turns an <c>analyze</c> output folder into pictures people look at: per video <c>&lt;stem&gt;.timeline.png</c> and
/// <c>&lt;stem&gt;.html</c> embedding it, and <c>index.html</c> with every video's class distribution (a chart and a
/// table) and the videos that have no readable predictions. Files are written atomically.
/// </summary>
public static class ReportWriter
{
    public static async Task<ReportOutcome> WriteAsync(string analyzeFolder, string outputFolder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputFolder);
        var pages = new List<string>();
        var failures = new List<string>();
        var videos = new List<(VideoResults Video, string Page)>();
        var predictions = Directory.EnumerateFiles(analyzeFolder, "*" + PredictionTables.PredictionsSuffix).Order(StringComparer.Ordinal).ToList();
        foreach (var faces in Directory.EnumerateFiles(analyzeFolder, "*.faces.parquet").Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileName(faces)[..^".faces.parquet".Length];
            if (!File.Exists(PredictionTables.PredictionsPath(analyzeFolder, stem)))
            {
                failures.Add($"{stem}: face detections but no predictions (analysed with --no-fusion, or the run stopped before fusion)");
            }
        }
        foreach (var path in predictions)
        {
            var stem = Path.GetFileName(path)[..^PredictionTables.PredictionsSuffix.Length];
            VideoResults video;
            try
            {
                video = await VideoResults.ReadAsync(path, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or KeyNotFoundException)
            {
                failures.Add($"{stem}: {ex.Message}");
                continue;
            }
            var picture = stem + ".timeline.png";
            await AtomicFile.WriteAllBytesAsync(Path.Combine(outputFolder, picture), TimelinePicture.Render(video), cancellationToken);
            var page = stem + ".html";
            await AtomicFile.WriteAllTextAsync(Path.Combine(outputFolder, page), VideoPage(video, picture), cancellationToken);
            pages.Add(Path.Combine(outputFolder, page));
            videos.Add((video, page));
        }
        if (videos.Count > 0)
        {
            await AtomicFile.WriteAllBytesAsync(Path.Combine(outputFolder, "distribution.png"), Distribution(videos.Select(v => v.Video).ToList()), cancellationToken);
        }
        var index = Path.Combine(outputFolder, "index.html");
        await AtomicFile.WriteAllTextAsync(index, IndexPage(analyzeFolder, videos, failures), cancellationToken);
        pages.Insert(0, index);
        return new ReportOutcome(pages, failures);
    }

    /// <summary>Share of each class among a video's frames where a subject is seen.</summary>
    public static double[] ClassShares(VideoResults video)
    {
        var counts = new double[video.Classes.Count];
        foreach (var label in video.Subjects.SelectMany(s => s.Labels))
        {
            counts[label]++;
        }
        var total = counts.Sum();
        return counts.Select(c => total == 0 ? 0 : c / total).ToArray();
    }

    private static byte[] Distribution(List<VideoResults> videos)
    {
        using var plot = new Plot();
        var classes = videos[0].Classes;
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (var v = 0; v < videos.Count; v++)
        {
            var shares = ClassShares(videos[v]);
            double bottom = 0;
            for (var c = 0; c < classes.Count; c++)
            {
                bars.Add(new Bar { Position = v, ValueBase = bottom, Value = bottom + shares[c], FillColor = palette.GetColor(c) });
                bottom += shares[c];
            }
        }
        plot.Add.Bars(bars);
        for (var c = 0; c < classes.Count; c++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = classes[c], FillColor = palette.GetColor(c) });
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, videos.Count).Select(i => (double)i).ToArray(), videos.Select(v => v.VideoId).ToArray());
        plot.Axes.SetLimits(-0.6, videos.Count - 0.4, 0, 1.05);
        plot.Title("predicted class share per video (ticks where a face is seen)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Math.Max(700, 120 * videos.Count + 300), 480, ImageFormat.Png);
    }

    private static string VideoPage(VideoResults video, string picture)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{Html(video.VideoId)}</title></head><body>");
        text.Append(CultureInfo.InvariantCulture, $"<h1>{Html(video.VideoId)}</h1><p>{video.FrameCount} frames, {video.Subjects.Count} subject(s) seen; fusion model {Html(video.Model)}; from <code>{Html(video.PredictionsPath)}</code>. The picture shows the {Math.Min(TimelinePicture.MaxSubjects, video.Subjects.Count)} subject(s) seen longest.</p>");
        text.Append("<table border=\"1\" cellpadding=\"4\"><tr><th>subject</th><th>seen ticks</th><th>frames</th>");
        foreach (var c in video.Classes)
        {
            text.Append(CultureInfo.InvariantCulture, $"<th>{Html(c)}</th>");
        }
        text.Append("</tr>");
        foreach (var s in video.Subjects.OrderByDescending(s => s.Times.Length))
        {
            text.Append(CultureInfo.InvariantCulture, $"<tr><td>{s.Subject}</td><td>{s.Times.Length}</td><td>{s.Frames}</td>");
            for (var c = 0; c < video.Classes.Count; c++)
            {
                text.Append(CultureInfo.InvariantCulture, $"<td>{100.0 * s.Labels.Count(l => l == c) / s.Labels.Length:F0}%</td>");
            }
            text.Append("</tr>");
        }
        text.Append(CultureInfo.InvariantCulture, $"</table><p><img src=\"{Html(picture)}\" alt=\"class probabilities, label track and attention of {Html(video.VideoId)}\"></p><p><a href=\"index.html\">all videos</a></p></body></html>");
        return text.ToString();
    }

    private static string IndexPage(string analyzeFolder, List<(VideoResults Video, string Page)> videos, List<string> failures)
    {
        var text = new StringBuilder();
        text.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>EmmaNet.Batch report</title></head><body>");
        text.Append(CultureInfo.InvariantCulture, $"<h1>EmmaNet.Batch report</h1><p>{videos.Count} video(s) from <code>{Html(analyzeFolder)}</code>; {failures.Count} without a report.</p>");
        if (videos.Count > 0)
        {
            text.Append("<p><img src=\"distribution.png\" alt=\"class share per video\"></p><table border=\"1\" cellpadding=\"4\"><tr><th>video</th><th>frames</th><th>subjects</th>");
            foreach (var c in videos[0].Video.Classes)
            {
                text.Append(CultureInfo.InvariantCulture, $"<th>{Html(c)}</th>");
            }
            text.Append("</tr>");
            foreach (var (video, page) in videos)
            {
                text.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{Html(page)}\">{Html(video.VideoId)}</a></td><td>{video.FrameCount}</td><td>{video.Subjects.Count}</td>");
                foreach (var share in ClassShares(video))
                {
                    text.Append(CultureInfo.InvariantCulture, $"<td>{100 * share:F0}%</td>");
                }
                text.Append("</tr>");
            }
            text.Append("</table>");
        }
        if (failures.Count > 0)
        {
            text.Append("<h2>Not reported</h2><ul>");
            foreach (var failure in failures)
            {
                text.Append(CultureInfo.InvariantCulture, $"<li>{Html(failure)}</li>");
            }
            text.Append("</ul>");
        }
        text.Append("</body></html>");
        return text.ToString();
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
