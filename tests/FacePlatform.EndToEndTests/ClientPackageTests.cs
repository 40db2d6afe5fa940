using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace FacePlatform.EndToEndTests;

/// <summary><c>dotnet pack</c> makes the FacePlatform.Client package: metadata, XML docs, the contracts inside, no project dependency.</summary>
public sealed class ClientPackageTests
{
    [Fact]
    public async Task Dotnet_pack_makes_a_package_with_the_client_its_docs_and_the_contracts()
    {
        var output = Directory.CreateTempSubdirectory("faceplatform-pack-");
        try
        {
            var project = Path.Combine(RepositoryPaths.Root, "services", "FacePlatform.Client", "FacePlatform.Client.csproj");
            var (exitCode, log) = await RunAsync("dotnet", "pack", project, "-c", ServiceProcess.Configuration, "--no-build", "--no-restore", "--nologo", "-o", output.FullName);
            Assert.True(exitCode == 0, $"dotnet pack exited with {exitCode}:\n{log}");

            var package = Assert.Single(Directory.GetFiles(output.FullName, "FacePlatform.Client.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            var nuspecEntry = Assert.Single(zip.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            await using var nuspecStream = nuspecEntry.Open();
            var nuspec = XDocument.Load(nuspecStream);
            string Metadata(string name) => nuspec.Descendants().First(e => e.Name.LocalName == name).Value;
            var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();

            Assert.Equal("FacePlatform.Client", Metadata("id"));
            Assert.Contains("gRPC", Metadata("description"), StringComparison.Ordinal);
            Assert.Contains("lib/net10.0/FacePlatform.Client.dll", entries);
            Assert.Contains("lib/net10.0/FacePlatform.Client.xml", entries);
            Assert.Contains("lib/net10.0/FacePlatform.Contracts.dll", entries);
            Assert.Contains("README.md", entries);
            Assert.Contains("Grpc.Net.Client", dependencies);
            Assert.Contains("Google.Protobuf", dependencies);
            Assert.DoesNotContain("FacePlatform.Contracts", dependencies);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
