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
            throw new Models.ModelException($"{path}: not an ONNX model ({ex.Message})", ex);
        }
    }

    public static void Save(ModelProto model, string path)
    {
        var temp = path + ".part";
        using (var stream = File.Create(temp))
        {
            model.WriteTo(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
