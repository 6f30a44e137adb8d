using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Onnx;

/// <summary>
/// Builds an ONNX model: typed inputs and outputs (symbolic dimensions by name), initializers, nodes with attributes,
/// an opset and key-value metadata. Node outputs get unique names unless given.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName, int opset = OnnxGraphBuilder.DefaultOpset)
{
    /// <summary>Opset 17: supported by ONNX Runtime 1.31 and by TensorRT 8.6 and later.</summary>
    public const int DefaultOpset = 17;

    private readonly GraphProto _graph = new() { Name = graphName };
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public string AddInput(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Claim(name);
        _graph.Input.Add(OnnxTensors.Value(name, type, dims));
        return name;
    }

    public void AddOutput(string name, TensorProto.Types.DataType type, params object[] dims) =>
        _graph.Output.Add(OnnxTensors.Value(name, type, dims));

    public string AddInitializer(TensorProto tensor)
    {
        Claim(tensor.Name);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a float initializer under a unique name derived from <paramref name="name"/> and returns that name.</summary>
    public string Float(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var unique = UniqueName(name);
        _graph.Initializer.Add(OnnxTensors.Float(unique, values, dims));
        return unique;
    }

    /// <summary>Adds an int64 initializer under a unique name derived from <paramref name="name"/> and returns that name.</summary>
    public string Int64(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var unique = UniqueName(name);
        _graph.Initializer.Add(OnnxTensors.Int64(unique, values, dims));
        return unique;
    }

    /// <summary>Adds a node with one output and returns that output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, IReadOnlyDictionary<string, object>? attributes = null, string? output = null) =>
        NodeMulti(opType, inputs, 1, attributes, output is null ? null : [output])[0];

    public string[] NodeMulti(string opType, IEnumerable<string> inputs, int outputs, IReadOnlyDictionary<string, object>? attributes = null, string[]? outputNames = null)
    {
        var node = new NodeProto { OpType = opType, Name = UniqueName(opType) };
        node.Input.AddRange(inputs);
        var names = outputNames ?? Enumerable.Range(0, outputs).Select(i => UniqueName($"{node.Name}_out{i}")).ToArray();
        foreach (var n in names)
        {
            if (outputNames is not null)
            {
                Claim(n);
            }
        }
        node.Output.AddRange(names);
        foreach (var (key, value) in attributes ?? new Dictionary<string, object>())
        {
            node.Attribute.Add(OnnxTensors.Attribute(key, value));
        }
        _graph.Node.Add(node);
        return names;
    }

    public ModelProto Build(string producer = "EmmaNet.Batch")
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = Tool.Version,
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        foreach (var (key, value) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        return model;
    }

    public string UniqueName(string stem)
    {
        var name = stem;
        while (_names.Contains(name))
        {
            name = $"{stem}_{++_counter}";
        }
        _names.Add(name);
        return name;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"the graph already has a value named '{name}'");
        }
    }
}
