namespace FacePlatform.Vision.Inference;

/// <summary>Finds the model directory: configured, else <c>FACEPLATFORM_MODELS_DIR</c>, else <c>&lt;repo&gt;/.data/models</c>.</summary>
public static class ModelDirectory
{
    /// <summary>Environment variable the import scripts honour as well.</summary>
    public const string EnvironmentVariable = "FACEPLATFORM_MODELS_DIR";

    /// <summary>
    /// <paramref name="configured"/> when set; else the environment variable; else <c>.data/models</c> under the first
    /// folder above the working directory or the application that holds <c>FacePlatform.sln</c>.
    /// </summary>
    public static string Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var environment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return Path.GetFullPath(environment);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "FacePlatform.sln")))
                {
                    return Path.Combine(folder.FullName, ".data", "models");
                }
            }
        }

        return Path.GetFullPath(Path.Combine(".data", "models"));
    }
}
