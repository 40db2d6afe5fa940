namespace FacePlatform.Testing;

/// <summary>
/// Small labelled sets for <c>facectl train</c>'s tests, built from <c>../shared/data/faces</c> and read in place: a
/// plain CSV of the face-api.js identities (8 people × 5 photos, the last two of each person the validation split), a
/// corrupt photo and malformed lines in it; a folder of links to UTKFace chips (age and gender in their names) with one
/// name that is not UTKFace's; and a CSV whose header is wrong. Also a model directory that links the imported models,
/// so that a test can write a trained model next to them without touching the shared one.
/// </summary>
public static class TrainingSets
{
    /// <summary>The face-api.js identities.</summary>
    public static readonly string[] Identities = ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"];

    private static string Faces => Path.Combine(RepositoryPaths.SharedData, "faces");

    /// <summary>The imported models (<c>$FACEPLATFORM_MODELS_DIR</c> or <c>&lt;repo&gt;/.data/models</c>).</summary>
    public static string ImportedModels => Environment.GetEnvironmentVariable("FACEPLATFORM_MODELS_DIR") is { Length: > 0 } models
        ? models
        : Path.Combine(RepositoryPaths.Root, ".data", "models");

    /// <summary>A new model directory under <paramref name="folder"/>: links to every imported model and a copy of the manifest.</summary>
    public static string ModelDirectory(string folder)
    {
        var directory = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        var manifest = Path.Combine(ImportedModels, "manifest.json");
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"No imported models in {ImportedModels}: run deploy/local/models.sh (tests/run.sh does).");
        }

        foreach (var model in Directory.EnumerateFiles(ImportedModels, "*.onnx"))
        {
            File.CreateSymbolicLink(Path.Combine(directory, Path.GetFileName(model)), model);
        }

        File.Copy(manifest, Path.Combine(directory, "manifest.json"));
        return directory;
    }

    /// <summary>The identities CSV (<c>path,subject,age,gender,split</c>) with a corrupt photo and two malformed lines.</summary>
    public static string IdentitiesCsv(string folder)
    {
        var lines = new List<string> { "path,subject,age,gender,split" };
        foreach (var name in Identities)
        {
            for (var i = 1; i <= 5; i++)
            {
                lines.Add($"{Path.Combine(Faces, "face-api-js", "identity", name, $"{name}{i}.png")},{name},,,{(i >= 4 ? "validation" : "train")}");
            }
        }

        lines.Add($"{Corrupt},broken,,,train");
        lines.Add($"{Path.Combine(Faces, "face-api-js", "identity", "amy", "amy1.png")},amy,not-a-number,,train");
        lines.Add("only,three,fields");
        var path = Path.Combine(folder, "identities.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>The corrupt photo the identities CSV names.</summary>
    public static string Corrupt => Path.Combine(Faces, "compreface", "malformed", "corrupted.png");

    /// <summary>A folder of links to <paramref name="count"/> UTKFace chips spread over the ages, and one link whose name is not UTKFace's.</summary>
    public static string UtkFolder(string folder, int count)
    {
        var images = Path.Combine(Faces, "utkface-dev", "images");
        var all = Directory.EnumerateFiles(images, "*.jpg").Order(StringComparer.Ordinal).ToList();
        var directory = Directory.CreateDirectory(Path.Combine(folder, "utk")).FullName;
        for (var i = 0; i < count; i++)
        {
            var chip = all[i * all.Count / count];
            File.CreateSymbolicLink(Path.Combine(directory, Path.GetFileName(chip)), chip);
        }

        File.CreateSymbolicLink(Path.Combine(directory, "no-labels-here.jpg"), all[0]);
        return directory;
    }

    /// <summary>A label file whose header is not <c>path,subject,age,gender</c>.</summary>
    public static string MalformedCsv(string folder)
    {
        var path = Path.Combine(folder, "malformed.csv");
        File.WriteAllLines(path, ["image;who;years", "a.jpg;x;3"]);
        return path;
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string NewFolder(string hint) =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"faceplatform-{hint}-{Guid.NewGuid():N}")).FullName;
}
