namespace EmmaNet.Batch.Inputs;

/// <summary>One video to analyse: where it is, the id written into outputs, and the stem its output files take.</summary>
public sealed record VideoInput(string Path, string VideoId, string OutputStem);
