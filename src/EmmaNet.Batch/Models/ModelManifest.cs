using System.Text.Json.Serialization;
using System.Text.Json;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models;

/// <summary>The committed <c>models/manifest.json</c>: every model the analyzer uses, where it comes from, and its checksum.</summary>
public sealed record ModelManifest([property: JsonPropertyName("models")] IReadOnlyList<ModelEntry> Models)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip };

    public ModelEntry Get(string id) =>
        Models.FirstOrDefault(m => m.Id == id) ?? throw new ModelException($"model '{id}' is not listed in the model manifest");

    public static ModelManifest Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions)
                ?? throw new ModelException($"{path}: empty model manifest");
        }
        catch (JsonException ex)
        {
            throw new ModelException($"{path}: invalid model manifest: {ex.Message}");
        }
    }
}

/// <summary>
/// One model: its role, its file under the models folder, its source package, how it is converted (if at all),
/// sha256 of the final file, licence and input/output contract.
/// </summary>
public sealed record ModelEntry(
    string Id,
    string Role,
    string File,
    ModelSource Source,
    ModelConversion? Convert,
    string Sha256,
    string Licence,
    IReadOnlyList<TensorContract> Inputs,
    IReadOnlyList<TensorContract> Outputs);

/// <summary>Where a model comes from: a file inside a package of a registry this machine reaches, and that file's sha256.</summary>
public sealed record ModelSource(string Registry, string Package, string Version, string Path, string Sha256);

/// <summary>
/// How the source becomes the final ONNX file. <c>onnx</c> with <see cref="SymbolicBatch"/>: the fixed batch made
/// symbolic. <c>tfjs-graph</c>: a TensorFlow.js graph model converted, with the named graph nodes as outputs;
/// <c>faceapi-expression</c>: face-api's expression net from its weights manifest (<see cref="Conversion.FaceApiExpressionNet"/>),
/// converted the same way. Either
/// with <see cref="SymbolicSize"/>: the image input's height and width made symbolic (any input size; the nominal
/// size kept as metadata), so a frame is not padded to a square. <c>onnx</c> with <see cref="MeanImageModel"/> (a file
/// of the same package holding the CNTK-style mean image): the ImageNet input prepended
/// (<see cref="Conversion.ImageNetInput"/>), with <see cref="Outputs"/> renamed.
/// </summary>
public sealed record ModelConversion(string From, bool SymbolicBatch = false, IReadOnlyList<ConvertedOutput>? Outputs = null, bool SymbolicSize = false, string? MeanImageModel = null);

/// <summary>A converted model's output: the source graph node, the ONNX output name, and whether it is global-average pooled to [N, C].</summary>
public sealed record ConvertedOutput(string Node, string Name, bool GlobalAveragePool = false);

/// <summary>A named tensor and its shape (-1 for a symbolic dimension).</summary>
public sealed record TensorContract(string Name, IReadOnlyList<long> Shape);

