using System.Text.Json;

namespace FacePlatform.Vision.Tests;

/// <summary>The TF.js reference harness (../shared/reference/human-harness) next to the repository.</summary>
internal static class Reference
{
    public static string Folder { get; } = Find();

    private static readonly Lazy<JsonDocument> SharpOutput = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder!, "reference-output.sharp.json"))));

    public static string SampleImages => Path.Combine(Folder, "sample-images");

    /// <summary>reference-output.sharp.json: decoded with pixels identical to SkiaSharp's.</summary>
    public static JsonElement Output => SharpOutput.Value.RootElement;

    public static IEnumerable<JsonElement> Images => Output.GetProperty("images").EnumerateArray();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FacePlatform.sln")))
            {
                var harness = Path.GetFullPath(Path.Combine(folder.FullName, "..", "shared", "reference", "human-harness"));
                if (Directory.Exists(harness))
                {
                    return harness;
                }
            }
        }

        throw new DirectoryNotFoundException("The reference harness ../shared/reference/human-harness was not found next to the repository.");
    }
}
