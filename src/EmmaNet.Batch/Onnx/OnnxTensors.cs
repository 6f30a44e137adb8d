using System.Runtime.InteropServices;
using EmmaNet.Batch.Onnx.Proto;
using Google.Protobuf;

namespace EmmaNet.Batch.Onnx;

/// <summary>Making and reading ONNX tensors and attributes (values little-endian in raw_data, as the spec prefers).</summary>
public static class OnnxTensors
{
    public static TensorProto Float(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    public static TensorProto Int64(string name, ReadOnlySpan<long> values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims);

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    public static long[] ReadInt64(TensorProto tensor) =>
        tensor.Int64Data.Count > 0 ? tensor.Int64Data.ToArray() : MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();

    public static float[] ReadFloat(TensorProto tensor) =>
        tensor.FloatData.Count > 0 ? tensor.FloatData.ToArray() : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();

    public static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case long i:
                a.Type = AttributeProto.Types.AttributeType.Int;
                a.I = i;
                break;
            case int i:
                a.Type = AttributeProto.Types.AttributeType.Int;
                a.I = i;
                break;
            case float f:
                a.Type = AttributeProto.Types.AttributeType.Float;
                a.F = f;
                break;
            case string s:
                a.Type = AttributeProto.Types.AttributeType.String;
                a.S = ByteString.CopyFromUtf8(s);
                break;
            case long[] ints:
                a.Type = AttributeProto.Types.AttributeType.Ints;
                a.Ints.AddRange(ints);
                break;
            case float[] floats:
                a.Type = AttributeProto.Types.AttributeType.Floats;
                a.Floats.AddRange(floats);
                break;
            case TensorProto t:
                a.Type = AttributeProto.Types.AttributeType.Tensor;
                a.T = t;
                break;
            default:
                throw new ArgumentException($"attribute {name}: unsupported value type {value.GetType().Name}");
        }
        return a;
    }

    /// <summary>A tensor value's type: dims are numbers, or names for symbolic dimensions.</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                _ => throw new ArgumentException($"dimension {d} of {name} is neither a number nor a name"),
            });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
