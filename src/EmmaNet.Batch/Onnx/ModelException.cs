namespace EmmaNet.Batch.Onnx;

/// <summary>A model that cannot be used: missing, not ONNX, not what the manifest says, or not the contract its code expects.</summary>
public sealed class ModelException(string message, Exception? inner = null) : Exception(message, inner);
