namespace FacePlatform.ModelImport.Tests;

/// <summary>Locations the tests read: the repository root, the committed fixtures and the model directory.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Fixtures => Path.Combine(RepositoryRoot, "tests", "parity", "fixtures");

    /// <summary>FACEPLATFORM_MODELS_DIR, else &lt;repo&gt;/.data/models (what deploy/local/models.sh fills).</summary>
    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("FACEPLATFORM_MODELS_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(RepositoryRoot, ".data", "models");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir.FullName, "tests")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No repository root above {AppContext.BaseDirectory}.");
    }
}
