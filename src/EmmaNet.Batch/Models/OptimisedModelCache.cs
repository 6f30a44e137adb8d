using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;

namespace EmmaNet.Batch.Models;

/// <summary>
/// Where the CPU's optimised copies of the networks are kept: ONNX Runtime's full graph optimisation (blocked
/// convolution layouts included) saved once per machine, so a start loads the result instead of optimising again.
/// A copy is named by its model's sha256 and by <see cref="MachineKey"/> (processor features and ONNX Runtime
/// version), because the blocked layouts depend on the processor's vector width: a copy made on another machine or
/// by another ONNX Runtime is never used, it is made again.
/// </summary>
public sealed class OptimisedModelCache(string folder)
{
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>
    /// <c>$XDG_CACHE_HOME/emmanet/optimised-models</c>, else <c>~/.cache/emmanet/optimised-models</c>, else the
    /// temp folder's <c>emmanet-optimised-models</c> (a user without a home, as in some containers).
    /// </summary>
    public static string DefaultFolder
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? Path.Combine(xdg, "emmanet", "optimised-models")
                : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache", "emmanet", "optimised-models")
                : Path.Combine(Path.GetTempPath(), "emmanet-optimised-models");
        }
    }

    /// <summary>16 hex digits of the processor's architecture and features and ONNX Runtime's version.</summary>
    public static string MachineKey { get; } = Key(
        $"{RuntimeInformation.ProcessArchitecture} onnxruntime {OrtEnvironment.Ensure().GetVersionString()} {ProcessorFeatures()}");

    /// <summary>The optimised copy's path for a model file with this sha256 (whether it exists or not).</summary>
    public string PathFor(string modelPath, string sha256) =>
        Path.Combine(Folder, $"{Path.GetFileNameWithoutExtension(modelPath)}.{sha256[..Math.Min(16, sha256.Length)].ToLowerInvariant()}.{MachineKey}.onnx");

    /// <summary>How many copies for this machine the folder holds, and their bytes.</summary>
    public (int Count, long Bytes) ThisMachinesCopies()
    {
        var sizes = Directory.Exists(Folder) ? Directory.GetFiles(Folder, $"*.{MachineKey}.onnx").Select(f => new FileInfo(f).Length).ToArray() : [];
        return (sizes.Length, sizes.Sum());
    }

    private static string Key(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    /// <summary>
    /// The kernel's feature list of the first processor (what ONNX Runtime's kernel choice follows), or, off Linux,
    /// the vector extensions .NET sees.
    /// </summary>
    private static string ProcessorFeatures()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        (string Name, bool Present)[] features =
        [
            ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported), ("avx512f", Avx512F.IsSupported), ("avx512bw", Avx512BW.IsSupported),
            ("avxvnni", AvxVnni.IsSupported), ("advsimd", AdvSimd.IsSupported), ("dp", Dp.IsSupported),
        ];
        return string.Join(' ', features.Where(f => f.Present).Select(f => f.Name));
    }
}
