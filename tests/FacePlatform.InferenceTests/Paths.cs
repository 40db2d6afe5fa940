using FacePlatform.Testing;
using FacePlatform.Vision.Inference;

namespace FacePlatform.InferenceTests;

/// <summary>The repository, the imported models and the shared photos.</summary>
internal static class Paths
{
    public static string Repository => RepositoryPaths.Root;

    /// <summary>The model directory the services use; the tests fail with a hint when the models are not imported.</summary>
    public static string Models
    {
        get
        {
            var directory = ModelDirectory.Resolve(null);
            if (!File.Exists(Path.Combine(directory, "manifest.json")))
            {
                throw new InvalidOperationException($"No models in {directory}: import them with deploy/local/models.sh (tests/run.sh does).");
            }

            return directory;
        }
    }

    public static string Shared => Path.GetFullPath(Path.Combine(Repository, "..", "shared"));

    public static string Faces => Path.Combine(Shared, "data", "faces");

    public static string Harness => Path.Combine(Shared, "reference", "human-harness");
}
