using EmmaNet.Batch.Onnx.Proto;
using Google.Protobuf;

namespace EmmaNet.Batch.Onnx;

/// <summary>Reading and writing ONNX files (writes are atomic: temp file, flush, rename).</summary>
public static class OnnxModelFile
{
    public static ModelProto Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelException($"{path}: not an ONNX model ({ex.Message})", ex);
        }
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (<see cref="Files.AtomicFile"/>).</summary>
    public static void Save(ModelProto model, string path) => SaveAsync(model, path).GetAwaiter().GetResult();

    private static async Task SaveAsync(ModelProto model, string path)
    {
        await using var file = new Files.AtomicFile(path);
        model.WriteTo(file.Stream);
        await file.CommitAsync(CancellationToken.None);
    }
}
