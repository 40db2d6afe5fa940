using System.Text.Json;
using FacePlatform.Client;

namespace FacePlatform.EndToEndTests;

/// <summary><c>facectl</c> against the running platform: collections, a resumable folder enrolment with its report, search and verify.</summary>
[Collection(PlatformCollection.Name)]
public sealed class FacectlPlatformTests(PlatformFixture platform) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("facectl-e2e-");

    [Fact]
    public async Task Enroll_folder_enrols_one_subject_per_folder_resumes_and_reports_refusals()
    {
        var (_, key) = await platform.NewTenantAsync();
        var people = _work.CreateSubdirectory("people");
        Copy(Identity("amy", "amy1.png"), people, "amy");
        Copy(Identity("amy", "amy2.png"), people, "amy");
        Copy(Identity("sheldon", "sheldon1.png"), people, "sheldon");
        Copy(Identity("sheldon", "sheldon2.png"), people, "sheldon");
        Copy(Photos.NoFace, people, "sheldon");
        Copy(Photos.TwoPeople, people, "crowd");
        string[] enroll = ["enroll-folder", people.FullName, "--collection", "big-bang", "--state", State, "--report", Report("first.csv")];

        var first = await FacectlAsync(key, enroll);
        var second = await FacectlAsync(key, [.. enroll[..^1], Report("second.json")]);
        Copy(Identity("amy", "amy3.png"), people, "amy");
        var third = await FacectlAsync(key, enroll);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("enrolled 4, already enrolled 0, skipped 0 (done before), refused 2, failed 0", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("enrolled 0, already enrolled 0, skipped 6 (done before), refused 0, failed 0", second.Output, StringComparison.Ordinal);
        Assert.True(third.ExitCode == 0, third.Output);
        Assert.Contains("enrolled 1, already enrolled 0, skipped 6 (done before), refused 0, failed 0", third.Output, StringComparison.Ordinal);

        var lines = await File.ReadAllLinesAsync(Report("first.csv"));
        Assert.Equal("file,person,outcome,status,reason,detail", lines[0]);
        var csv = lines[1..].Select(l => l.Split(',')).ToList();
        Assert.Equal(["crowd/two_people.jpg", "sheldon/white.png"], csv.Select(row => row[0]));
        Assert.Equal(["several-faces", "no-face"], csv.Select(row => row[4]));
        Assert.Equal(["422", "422"], csv.Select(row => row[3]));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Report("second.json")));
        Assert.Equal(["crowd/two_people.jpg", "sheldon/white.png"], json.RootElement.EnumerateArray().Select(p => p.GetProperty("file").GetString()));

        using var client = new FacePlatformRestClient(Options(key));
        var gallery = Assert.Single(await client.ListCollectionsAsync());
        var subjects = (await client.ListSubjectsAsync(gallery.Id, pageSize: 100)).Subjects.ToDictionary(s => s.ExternalId, s => s.FaceCount);
        Assert.Equal("big-bang", gallery.Name);
        Assert.Equal(3, subjects["amy"]);
        Assert.Equal(2, subjects["sheldon"]);
        var probe = await client.SearchAsync(gallery.Id, await File.ReadAllBytesAsync(Identity("sheldon", "sheldon3.png")), topK: 1);
        Assert.Equal("sheldon", Assert.Single(Assert.Single(probe.Faces).Matches).ExternalId);
    }

    [Fact]
    public async Task Re_enrolment_into_another_recogniser_is_a_new_collection_and_an_existing_one_keeps_its_model()
    {
        var (_, key) = await platform.NewTenantAsync();
        var people = _work.CreateSubdirectory("people");
        Copy(Identity("amy", "amy1.png"), people, "amy");
        Copy(Identity("sheldon", "sheldon1.png"), people, "sheldon");
        Copy(Identity("sheldon", "sheldon2.png"), people, "sheldon");

        var original = await FacectlAsync(key, ["enroll-folder", people.FullName, "--collection", "cast", "--state", State, "--report", Report("cast.csv")]);
        var moved = await FacectlAsync(key, ["enroll-folder", people.FullName, "--collection", "cast-mobileface", "--model", "mobileface", "--dimension", "256", "--state", State, "--report", Report("moved.csv")]);
        var mixed = await FacectlAsync(key, ["enroll-folder", people.FullName, "--collection", "cast", "--model", "mobileface", "--dimension", "256", "--state", State, "--report", Report("mixed.csv")]);

        Assert.True(original.ExitCode == 0, original.Output);
        Assert.True(moved.ExitCode == 0, moved.Output);
        Assert.Contains("enrolled 3, already enrolled 0, skipped 0 (done before), refused 0, failed 0", moved.Output, StringComparison.Ordinal);
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("keeps its recogniser", mixed.Output, StringComparison.Ordinal);
        using var client = new FacePlatformRestClient(Options(key));
        var collections = (await client.ListCollectionsAsync()).ToDictionary(c => c.Name);
        Assert.Equal(["cast", "cast-mobileface"], collections.Keys.Order());
        Assert.Equal("faceres", collections["cast"].ModelId);
        Assert.Equal(3, collections["cast"].FaceCount);
        Assert.Equal("mobileface", collections["cast-mobileface"].ModelId);
        Assert.Equal(256, collections["cast-mobileface"].Dimension);
        Assert.Equal(3, collections["cast-mobileface"].FaceCount);
        var probe = await client.SearchAsync(collections["cast-mobileface"].Id, await File.ReadAllBytesAsync(Identity("sheldon", "sheldon3.png")), topK: 1, threshold: 0.1f);
        Assert.Equal("sheldon", Assert.Single(Assert.Single(probe.Faces).Matches).ExternalId);
    }

    [Fact]
    public async Task A_collection_of_the_face_api_recogniser_enrols_and_searches_at_its_calibrated_threshold()
    {
        var (_, key) = await platform.NewTenantAsync();
        var people = _work.CreateSubdirectory("people");
        Copy(Identity("amy", "amy1.png"), people, "amy");
        Copy(Identity("sheldon", "sheldon1.png"), people, "sheldon");
        Copy(Identity("sheldon", "sheldon2.png"), people, "sheldon");

        var enrolled = await FacectlAsync(key, ["enroll-folder", people.FullName, "--collection", "cast-faceapi", "--model", "faceapi-recognition", "--dimension", "128", "--state", State, "--report", Report("faceapi.csv")]);

        Assert.True(enrolled.ExitCode == 0, enrolled.Output);
        Assert.Contains("enrolled 3, already enrolled 0, skipped 0 (done before), refused 0, failed 0", enrolled.Output, StringComparison.Ordinal);
        using var client = new FacePlatformRestClient(Options(key));
        var gallery = Assert.Single(await client.ListCollectionsAsync());
        Assert.Equal("faceapi-recognition", gallery.ModelId);
        Assert.Equal(128, gallery.Dimension);
        Assert.Equal(3, gallery.FaceCount);
        // No threshold in the requests: the collection's default comes from the model's calibration (face-api's
        // cosines run high: impostors of these photos score 0.80–0.91, a fixed 0.5 would accept every stranger).
        var sheldon = await client.SearchAsync(gallery.Id, await File.ReadAllBytesAsync(Identity("sheldon", "sheldon3.png")), topK: 1);
        Assert.Equal("sheldon", Assert.Single(Assert.Single(sheldon.Faces).Matches).ExternalId);
        var stranger = await client.SearchAsync(gallery.Id, await File.ReadAllBytesAsync(Identity("howard", "howard1.png")), topK: 1);
        Assert.Empty(Assert.Single(stranger.Faces).Matches);
    }

    [Fact]
    public async Task Collections_search_and_verify_work_with_url_and_key_options()
    {
        var (_, key) = await platform.NewTenantAsync();
        string[] connection = ["--url", platform.Gateway.HttpAddress.ToString(), "--key", key];

        var created = await FacectlAsync(null, ["collections", "create", "cli-gallery", .. connection]);
        var id = created.Output.Trim().Split('\n')[^1].Trim();
        using var client = new FacePlatformRestClient(Options(key));
        var obama = await client.CreateSubjectAsync(id, "obama");
        await client.EnrollAsync(id, obama.Id, await File.ReadAllBytesAsync(Photos.Obama1));
        var listed = await FacectlAsync(null, ["collections", "list", .. connection]);
        var search = await FacectlAsync(null, ["search", "cli-gallery", Photos.ObamaProbe, .. connection]);
        var same = await FacectlAsync(null, ["verify", Photos.Obama1, Photos.Obama2, .. connection]);
        var subject = await FacectlAsync(null, ["verify", Photos.KitProbe, "--collection", "cli-gallery", "--subject", obama.Id, .. connection]);
        var deleted = await FacectlAsync(null, ["collections", "delete", "cli-gallery", .. connection]);
        var noKey = await FacectlAsync(null, ["collections", "list", "--url", platform.Gateway.HttpAddress.ToString(), "--key", ""]);
        var missing = await FacectlAsync(null, ["search", "no-such-gallery", Photos.ObamaProbe, .. connection]);

        Assert.True(created.ExitCode == 0, created.Output);
        Assert.Contains(id, listed.Output, StringComparison.Ordinal);
        Assert.Contains("cli-gallery", listed.Output, StringComparison.Ordinal);
        Assert.Contains("face 1", search.Output, StringComparison.Ordinal);
        Assert.Contains("obama (", search.Output, StringComparison.Ordinal);
        Assert.Contains("same person", same.Output, StringComparison.Ordinal);
        Assert.Contains("different people", subject.Output, StringComparison.Ordinal);
        Assert.Contains("deleted " + id + ": 1 subjects, 1 faces", deleted.Output, StringComparison.Ordinal);
        Assert.Empty(await client.ListCollectionsAsync());
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("FACEPLATFORM_API_KEY", noKey.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such-gallery", missing.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _work.Delete(recursive: true);

    private string State => Path.Combine(_work.FullName, "state.jsonl");

    private string Report(string name) => Path.Combine(_work.FullName, name);

    private static string Identity(string person, string file) =>
        Path.Combine(RepositoryPaths.SharedData, "faces", "face-api-js", "identity", person, file);

    private static void Copy(string photo, DirectoryInfo root, string person)
    {
        var folder = root.CreateSubdirectory(person);
        File.Copy(photo, Path.Combine(folder.FullName, Path.GetFileName(photo)));
    }

    private FacePlatformClientOptions Options(string key) => new() { RestAddress = platform.Gateway.HttpAddress, ApiKey = key };

    /// <summary>Runs the built facectl with the platform in FACEPLATFORM_URL and <paramref name="key"/> in FACEPLATFORM_API_KEY (when given).</summary>
    private async Task<(int ExitCode, string Output)> FacectlAsync(string? key, string[] arguments)
    {
        var run = await Facectl.RunAsync(arguments, _work.FullName, new Dictionary<string, string?>
        {
            [FacePlatformClientOptions.UrlVariable] = platform.Gateway.HttpAddress.ToString(),
            [FacePlatformClientOptions.ApiKeyVariable] = key,
        });
        return (run.ExitCode, run.Stdout + run.Stderr);
    }
}
