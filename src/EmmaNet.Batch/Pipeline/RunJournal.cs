using System.Text.Json;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;
using EmmaNet.Batch.Pipeline;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The run journal in the output folder (one per shard): JSON lines appended as things happen, each flushed to disk,
/// so a killed run's journal ends at what it did. <c>run_started</c> says when, on which host, with which models and
/// providers, over how many videos; a <c>video</c> line per video says done, skipped or failed and why; <c>run_finished</c>
/// gives the counts and the exit code. People read it with <c>cat</c>, scripts with <c>jq</c> or DuckDB's
/// <c>read_json</c>.
/// </summary>
public sealed class RunJournal : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly StreamWriter _writer;
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly object _gate = new();

    private readonly Action<string> _warn;
    private bool _broken;

    /// <param name="warn">Told once when the journal cannot be written (a full disk): the run goes on without it.</param>
    public RunJournal(string folder, Shard shard, Action<string> warn)
    {
        Directory.CreateDirectory(folder);
        Path = PathFor(folder, shard);
        _warn = warn;
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    public string Path { get; }

    public static string PathFor(string folder, Shard shard) =>
        System.IO.Path.Combine(folder, shard.IsWhole ? "emmanet-journal.jsonl" : $"emmanet-journal.{shard}.jsonl");

    public void RunStarted(string command, Shard shard, int videos, IEnumerable<(string Role, ModelIdentity Model)> models) => Write(new
    {
        Event = "run_started",
        Command = command,
        ToolVersion = Tool.Version,
        Host = Environment.MachineName,
        Pid = Environment.ProcessId,
        Shard = $"{shard.Index}/{shard.Count}",
        Videos = videos,
        Models = models.ToDictionary(m => m.Role, m => new { m.Model.Id, m.Model.FileName, m.Model.Sha256, Provider = m.Model.ExecutionProvider }),
    });

    public void Video(VideoOutcome outcome) => Write(new
    {
        Event = "video",
        Video = outcome.Input.Path,
        Status = outcome.Status.ToString().ToLowerInvariant(),
        Output = outcome.OutputPath,
        outcome.Message,
        outcome.Warnings,
        Frames = outcome.ProcessedFrames,
        outcome.Summary,
        Attention = outcome.Attention?.ToDictionary(a => a.Modality, a => new { a.Windows, a.Entropy, a.OwnStep, a.FirstPresent, a.LastPresent, a.TopPosition, a.TopPositionShare }),
    });

    /// <summary>A video whose existing outputs were not trusted, and why: it is analysed again.</summary>
    public void Redo(string path, string reason) => Write(new { Event = "redo", Video = path, Reason = reason });

    /// <summary>An input that names no file: failed before it became a video.</summary>
    public void Missing(string path) => Write(new { Event = "video", Video = path, Status = "failed", Message = $"{path}: file not found" });

    /// <summary>A video the run stopped (cancelled, or a stage failed) before it finished: its outputs are incomplete, and a re-run redoes it.</summary>
    public void Unfinished(string path, string reason) => Write(new { Event = "video", Video = path, Status = "unfinished", Message = reason });

    public void RunFinished(int exitCode, int done, int skipped, int failed, double seconds, int unfinished = 0) => Write(new
    {
        Event = "run_finished",
        ExitCode = exitCode,
        Done = done,
        Skipped = skipped,
        Failed = failed,
        Unfinished = unfinished,
        Seconds = Math.Round(seconds, 1),
    });

    private void Write(object entry)
    {
        var line = JsonSerializer.Serialize(entry, Json);
        // time and run first, then the event's own fields.
        var text = $"{{\"time\":\"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"run\":\"{_run}\",{line[1..]}";
        lock (_gate)
        {
            if (_broken)
            {
                return;
            }
            try
            {
                _writer.WriteLine(text);
                _writer.Flush();
                ((FileStream)_writer.BaseStream).Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                _broken = true;
                _warn($"{Path}: cannot write the run journal any more ({ex.Message}); the run goes on without it");
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _writer.Dispose();
        }
        catch (IOException)
        {
            // The buffered tail could not be written; already reported.
        }
    }
}

/// <summary>Progress that also writes each finished video to the journal.</summary>
public sealed class JournalingProgress(IAnalyzeProgress inner, RunJournal journal) : IAnalyzeProgress
{
    public void Started(IReadOnlyList<VideoJob> jobs) => inner.Started(jobs);

    public void VideoStarted(VideoJob job)
    {
        if (job.RedoReason is { } reason)
        {
            journal.Redo(job.Input.Path, reason);
        }
        inner.VideoStarted(job);
    }

    public void FrameDone(VideoJob job, double timestamp) => inner.FrameDone(job, timestamp);

    public void VideoFinished(VideoOutcome outcome)
    {
        journal.Video(outcome);
        lock (_counts)
        {
            _counts[(int)outcome.Status]++;
            _reported.Add(outcome.Input.Path);
        }
        inner.VideoFinished(outcome);
    }

    /// <summary>Journals every video of <paramref name="videos"/> that got no outcome as unfinished, and returns how many.</summary>
    public int JournalUnfinished(IEnumerable<Inputs.VideoInput> videos, string reason)
    {
        List<string> left;
        lock (_counts)
        {
            left = videos.Select(v => v.Path).Where(p => !_reported.Contains(p)).ToList();
        }
        left.ForEach(p => journal.Unfinished(p, reason));
        return left.Count;
    }

    private readonly int[] _counts = new int[3];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>Videos reported so far, by outcome: what a cancelled or stopped run's last journal line counts.</summary>
    public (int Done, int Skipped, int Failed) Counts
    {
        get
        {
            lock (_counts)
            {
                return (_counts[(int)VideoStatus.Done], _counts[(int)VideoStatus.Skipped], _counts[(int)VideoStatus.Failed]);
            }
        }
    }
}
