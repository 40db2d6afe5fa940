namespace FacePlatform.Testing;

/// <summary>Where things are in the repository the tests run from.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding FacePlatform.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The labelled photos shared by the team: <c>../shared/data</c> from the root, or <c>$FACEPLATFORM_SHARED_DATA</c>
    /// (a worktree elsewhere).
    /// </summary>
    public static string SharedData => Environment.GetEnvironmentVariable("FACEPLATFORM_SHARED_DATA") is { Length: > 0 } shared
        ? Path.GetFullPath(shared)
        : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePlatform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"FacePlatform.sln was not found above {AppContext.BaseDirectory}");
    }
}
