namespace EmmaNet.Batch.Decoding;

/// <summary>A problem with one input file. <see cref="Exception.Message"/> is one line: "&lt;file&gt;: &lt;cause&gt;".</summary>
public sealed class MediaException : Exception
{
    public MediaException(string path, string cause, Exception? inner = null)
        : base($"{path}: {cause}", inner)
    {
        FilePath = path;
        Cause = cause;
    }

    public string FilePath { get; }

    public string Cause { get; }
}
