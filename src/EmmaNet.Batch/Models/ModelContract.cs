using EmmaNet.Batch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EmmaNet.Batch.Models;

/// <summary>Checks a loaded model's inputs and outputs (names and shapes, -1 for symbolic) against its manifest contract.</summary>
public static class ModelContract
{
    /// <summary>The differences, one line each; empty when the model keeps its contract.</summary>
    public static IReadOnlyList<string> Differences(ModelEntry entry, InferenceSession session)
    {
        var problems = new List<string>();
        Compare("input", entry.Inputs, session.InputMetadata, problems);
        Compare("output", entry.Outputs, session.OutputMetadata, problems);
        return problems;
    }

    /// <summary>Loads the model on the CPU and checks it; a <see cref="ModelException"/> says what differs.</summary>
    public static void Verify(ModelEntry entry, string path)
    {
        // Only the inputs and outputs are read: optimising the graph would cost a copy of the weights for nothing.
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(path, options);
        Check(entry, path, session);
    }

    /// <summary>Checks a session of the model; a <see cref="ModelException"/> says what differs.</summary>
    public static void Check(ModelEntry entry, string path, InferenceSession session)
    {
        var problems = Differences(entry, session);
        if (problems.Count > 0)
        {
            throw new ModelException($"model '{entry.Id}' ({path}) breaks its contract: {string.Join("; ", problems)}");
        }
    }

    private static void Compare(string kind, IReadOnlyList<TensorContract> expected, IReadOnlyDictionary<string, NodeMetadata> actual, List<string> problems)
    {
        foreach (var contract in expected)
        {
            if (!actual.TryGetValue(contract.Name, out var meta))
            {
                problems.Add($"no {kind} '{contract.Name}' (has {string.Join(", ", actual.Keys)})");
                continue;
            }
            var dims = meta.Dimensions.Select(d => (long)d).ToArray();
            if (!dims.SequenceEqual(contract.Shape))
            {
                problems.Add($"{kind} '{contract.Name}' has shape [{string.Join(",", dims)}], expected [{string.Join(",", contract.Shape)}]");
            }
        }
        foreach (var extra in actual.Keys.Except(expected.Select(c => c.Name)))
        {
            problems.Add($"unexpected {kind} '{extra}'");
        }
    }
}
