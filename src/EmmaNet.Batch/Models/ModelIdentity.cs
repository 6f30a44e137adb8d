namespace EmmaNet.Batch.Models;

/// <summary>Which model file produced an output and where it ran: written into every output's metadata.</summary>
public sealed record ModelIdentity(string Id, string FileName, string Sha256, string ExecutionProvider);
