using ScottPlot;
using SkiaSharp;

namespace EmmaNet.Batch.Reports;

/// <summary>
/// The picture of one video: for each subject shown, the 8 class probabilities over time, the predicted label track,
/// and the face, audio and pose attention as heatmaps (time across, the window's steps down). Each panel is a ScottPlot
/// plot; the panels are stacked into one PNG.
/// </summary>
public static class TimelinePicture
{
    public const int Width = 1400;

    /// <summary>Subjects shown per video at most: those seen at the most ticks.</summary>
    public const int MaxSubjects = 3;


    public static byte[] Render(VideoResults video)
    {
        var panels = new List<byte[]>();
        foreach (var subject in video.Subjects.OrderByDescending(s => s.Times.Length).Take(MaxSubjects))
        {
            var (start, end) = (subject.Times.Min() - 0.25, subject.Times.Max() + 0.25);
            panels.Add(Probabilities(video, subject, start, end));
            panels.Add(Labels(video, subject, start, end));
            for (var m = 0; m < 3; m++)
            {
                panels.Add(Attention(video, subject, m, start, end));
            }
        }
        if (panels.Count == 0)
        {
            using var empty = new Plot();
            empty.Title($"{video.VideoId}: no subject was seen, nothing predicted");
            panels.Add(empty.GetImageBytes(Width, 120, ImageFormat.Png));
        }
        return Stack(panels);
    }

    private static byte[] Probabilities(VideoResults video, SubjectTimeline s, double start, double end)
    {
        using var plot = new Plot();
        for (var c = 0; c < video.Classes.Count; c++)
        {
            var line = plot.Add.Scatter(s.Times, s.Probabilities.Select(p => p[c]).ToArray());
            line.LegendText = video.Classes[c];
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        plot.Title($"{video.VideoId}, subject {s.Subject}: class probabilities ({video.Model})");
        plot.YLabel("probability");
        plot.Axes.SetLimits(start, end, 0, 1.02);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, 330, ImageFormat.Png);
    }

    private static byte[] Labels(VideoResults video, SubjectTimeline s, double start, double end)
    {
        using var plot = new Plot();
        var points = plot.Add.ScatterPoints(s.Times, s.Labels.Select(l => (double)l).ToArray());
        points.MarkerSize = 5;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, video.Classes.Count).Select(i => (double)i).ToArray(), [.. video.Classes]);
        plot.Axes.SetLimits(start, end, -0.5, video.Classes.Count - 0.5);
        plot.Title("predicted label");
        return plot.GetImageBytes(Width, 260, ImageFormat.Png);
    }

    /// <summary>Rows: the window's steps (offset 0 at the top, the tick's own step in the middle); columns: the ticks in time order.</summary>
    private static byte[] Attention(VideoResults video, SubjectTimeline s, int modality, double start, double end)
    {
        var data = new double[video.Steps, s.Times.Length];
        for (var t = 0; t < s.Times.Length; t++)
        {
            for (var k = 0; k < video.Steps; k++)
            {
                data[k, t] = s.Attention[t][modality][k];
            }
        }
        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // Row k is offset k, (k - T/2) * 0.5 s from the tick: row 0 at the bottom, cells centred on their step times.
        heatmap.FlipVertically = true;
        var (bottom, top) = ((-video.Steps / 4.0) - 0.25, (video.Steps / 4.0) - 0.25);
        heatmap.Extent = new CoordinateRect(s.Times[0], s.Times[^1], bottom, top);
        plot.Add.ColorBar(heatmap);
        plot.Axes.SetLimits(start, end, bottom, top);
        plot.Title($"attention on {Modalities.Names[modality]} over the window (0 = the tick's own step)");
        plot.YLabel("s from tick");
        if (modality == 2)
        {
            plot.XLabel("time (s)");
        }
        return plot.GetImageBytes(Width, 190, ImageFormat.Png);
    }

    private static byte[] Stack(List<byte[]> panels)
    {
        var bitmaps = panels.Select(p => SKBitmap.Decode(p)).ToList();
        try
        {
            using var combined = new SKBitmap(bitmaps.Max(b => b.Width), bitmaps.Sum(b => b.Height));
            using (var canvas = new SKCanvas(combined))
            {
                canvas.Clear(SKColors.White);
                var y = 0;
                foreach (var b in bitmaps)
                {
                    canvas.DrawBitmap(b, 0, y);
                    y += b.Height;
                }
            }
            using var image = SKImage.FromBitmap(combined);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            return png.ToArray();
        }
        finally
        {
            bitmaps.ForEach(b => b.Dispose());
        }
    }
}
