using System.Text.Json;
using FacePlatform.Testing;
using Xunit.Abstractions;

namespace FacePlatform.InferenceTests;

/// <summary>
/// <c>facectl eval age-gender --labels</c> (the built facectl, run as a process with the real models): gender measured
/// on photos labelled only with a person, from tests/data/identity-gender.csv — the measurement off UTKFace that
/// docs/accuracy.md chooses the age and gender default by.
/// </summary>
public sealed class AgeGenderEvalTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Labels = Path.Combine(Paths.Repository, "tests", "data", "identity-gender.csv");

    private readonly string _root = Directory.CreateTempSubdirectory("faceplatform-age-gender-eval-").FullName;

    [Fact]
    public void Every_person_of_the_shared_photo_sets_has_a_gender_row()
    {
        var labelled = ReadLabels();
        var people = Directory.EnumerateDirectories(Paths.Faces).Where(d => File.Exists(Path.Combine(d, "manifest.json")))
            .SelectMany(d => IdentitiesOf(Path.Combine(d, "manifest.json"))).Select(p => p.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(people);
        // Labelled in the data set itself (CompreFace's sample people carry gender in their manifest) or in the file.
        var withGender = Directory.EnumerateDirectories(Paths.Faces).Where(d => File.Exists(Path.Combine(d, "manifest.json")))
            .SelectMany(d => IdentitiesOf(Path.Combine(d, "manifest.json"))).Where(p => p.Gender is not null).Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        var missing = people.Where(p => !labelled.ContainsKey(p) && !withGender.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"no gender row in {Labels} for: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Photos_labelled_with_a_person_are_scored_on_that_persons_gender_and_not_on_age()
    {
        var labelled = ReadLabels();
        string[] folders = [Path.Combine(Paths.Faces, "face-api-js"), Path.Combine(Paths.Faces, "openface")];
        var expected = folders.SelectMany(f => IdentitiesOf(Path.Combine(f, "manifest.json"))).ToList();
        var json = Path.Combine(_root, "age-gender.json");

        await FacectlAsync(["eval", "age-gender", .. folders, "--labels", Labels, "--variants", "faceres,faceapi", "--json", json, "--timed", "2", "--models", Paths.Models, "--parallel", "1"]);

        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(json));
        var root = document.RootElement;
        Assert.Equal(expected.Count, root.GetProperty("photos").GetInt32());
        foreach (var answer in root.GetProperty("answers").EnumerateArray())
        {
            var file = answer.GetProperty("file").GetString()!;
            var person = expected.First(p => Path.GetFileName(p.File) == file).Identity;
            Assert.True(labelled[person] == answer.GetProperty("gender").GetString(), $"{file} ({person}) scored as {answer.GetProperty("gender")}, labelled {labelled[person]}");
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("age").ValueKind);
        }

        foreach (var variant in root.GetProperty("variants").EnumerateArray())
        {
            var name = variant.GetProperty("variant").GetString();
            // No photo of these sets has an age: the age figures are NaN, not 0 or a mean over nothing.
            Assert.Equal("NaN", variant.GetProperty("age_mae").GetString());
            // Adults photographed face-on: both models were right on at least 43 of these 46 photos when measured.
            Assert.True(variant.GetProperty("gender_accuracy").GetDouble() >= 0.9, $"{name}: gender accuracy {variant.GetProperty("gender_accuracy")}");
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Dictionary<string, string> ReadLabels()
    {
        var lines = File.ReadAllLines(Labels);
        Assert.Equal("identity,gender,source", lines[0]);
        return lines[1..].Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(',', 3))
            .ToDictionary(c => c[0], c => c[1], StringComparer.Ordinal);
    }

    /// <summary>The one-face photos of a manifest labelled with a person, as eval age-gender counts them.</summary>
    private static List<(string File, string Identity, string? Gender)> IdentitiesOf(string manifest)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifest));
        var photos = new List<(string File, string Identity, string? Gender)>();
        var groups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in document.RootElement.GetProperty("files").EnumerateArray())
        {
            string? Text(string name) => file.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var categories = file.TryGetProperty("categories", out var c) ? c.EnumerateArray().Select(x => x.GetString()).ToList() : [];
            var oneFace = file.TryGetProperty("face_count", out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt32() == 1;
            if (Text("identity") is { } identity && oneFace && !categories.Contains("malformed") && (Text("same_photo_group") is not { } group || groups.Add(group)))
            {
                photos.Add((Text("file")!, identity, Text("gender")));
            }
        }

        return photos;
    }

    private async Task FacectlAsync(string[] arguments)
    {
        var run = await Facectl.SucceedAsync(arguments);
        output.WriteLine(string.Concat(run.Stdout.Split('\n').Where(l => !l.StartsWith('[')).Select(l => l + "\n")));
    }
}
