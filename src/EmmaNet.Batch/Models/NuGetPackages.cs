using System.Globalization;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Processes;

namespace EmmaNet.Batch.Models;

/// <summary>
/// Models shipped inside NuGet packages: the package's folder in the NuGet global packages folder, restored first when
/// it is not there (a throwaway project holding only a <c>PackageDownload</c>, restored by <c>dotnet restore</c> from the
/// sources the machine's NuGet configuration names), so setup needs nothing beyond the registry.
/// </summary>
public static class NuGetPackages
{
    /// <summary>The global packages folder: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>.</summary>
    public static string GlobalFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public static string FolderOf(string package, string version) =>
        Path.Combine(GlobalFolder, package.ToLowerInvariant(), version.ToLowerInvariant());

    public static async Task<string> FindOrRestoreAsync(string package, string version, CancellationToken cancellationToken)
    {
        var folder = FolderOf(package, version);
        // NuGet writes .nupkg.metadata last, so its presence means the package was extracted whole.
        if (File.Exists(Path.Combine(folder, ".nupkg.metadata")))
        {
            return folder;
        }
        var work = Path.Combine(Path.GetTempPath(), "emmanet-restore-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            // Outside the repository, so its Directory.Build.props and central package versions do not apply.
            await File.WriteAllTextAsync(Path.Combine(work, "restore.csproj"), string.Create(CultureInfo.InvariantCulture, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net{Environment.Version.Major}.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageDownload Include="{package}" Version="[{version}]" /></ItemGroup>
                </Project>
                """), cancellationToken);
            ProgramResult restore;
            try
            {
                restore = await ExternalProgram.RunAsync("dotnet", ["restore", "restore.csproj", "--nologo"], TimeSpan.FromMinutes(10), work, cancellationToken);
            }
            catch (ProgramException ex)
            {
                throw new ModelException($"could not fetch NuGet package {package} {version}: {ex.Message}", ex);
            }
            if (restore.ExitCode != 0 || !File.Exists(Path.Combine(folder, ".nupkg.metadata")))
            {
                var reason = string.Join(" ", (restore.Stdout + restore.Stderr).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(2).Select(l => l.Trim()));
                throw new ModelException($"dotnet restore of NuGet package {package} {version} failed (exit {restore.ExitCode}){(reason.Length > 0 ? ": " + reason : "")}");
            }
            return folder;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
