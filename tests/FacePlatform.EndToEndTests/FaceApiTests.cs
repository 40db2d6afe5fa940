using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// The first whole slice of the product, through the gateway with real models, real PostgreSQL and real Redis:
/// analyse, enrol, search, verify, delete — and bad photos refused without harm.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class FaceApiTests(PlatformFixture platform)
{
    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Analyse_returns_each_face_with_box_age_gender_and_emotion()
    {
        var (_, key) = await platform.NewTenantAsync();

        var answer = await PostAsync("/v1/analyze", key, Photos.Form(Photos.TwoPeople));

        Assert.Equal(2, answer.GetProperty("faces").GetArrayLength());
        Assert.True(answer.GetProperty("imageWidth").GetInt32() > 0);
        foreach (var face in answer.GetProperty("faces").EnumerateArray())
        {
            Assert.True(face.GetProperty("box").GetProperty("width").GetSingle() > 10);
            Assert.InRange(face.GetProperty("age").GetSingle(), 5, 90);
            Assert.Contains(face.GetProperty("gender").GetProperty("label").GetString(), new[] { "female", "male" });
            Assert.False(string.IsNullOrEmpty(face.GetProperty("emotion").GetProperty("label").GetString()));
        }
    }

    [Fact]
    public async Task Enrolled_people_are_found_by_other_photos_and_a_stranger_is_unknown()
    {
        var (_, key) = await platform.NewTenantAsync();
        var collection = await CreateCollectionAsync(key, "people");
        var people = new Dictionary<string, (string First, string Second, string Probe)>
        {
            ["obama"] = (Photos.Obama1, Photos.Obama2, Photos.ObamaProbe),
            ["kit"] = (Photos.Kit1, Photos.Kit2, Photos.KitProbe),
            ["alex"] = (Photos.Alex1, Photos.Alex2, Photos.AlexProbe),
        };
        var subjects = new Dictionary<string, string>();
        foreach (var (name, photos) in people)
        {
            var subject = await PostJsonAsync($"/v1/collections/{collection}/subjects", key, new { externalId = name, displayName = name });
            subjects[name] = subject.GetProperty("id").GetString()!;
            foreach (var photo in new[] { photos.First, photos.Second })
            {
                using var enrolled = await Http.SendAsync(Send(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subjects[name]}/faces", key, Photos.Form(photo)));
                Assert.True(enrolled.StatusCode == HttpStatusCode.Created, $"{name} {Path.GetFileName(photo)}: {await enrolled.Content.ReadAsStringAsync()}");
            }
        }

        foreach (var (name, photos) in people)
        {
            var found = await PostAsync($"/v1/collections/{collection}/search", key, Photos.Form(photos.Probe));
            var face = Assert.Single(found.GetProperty("faces").EnumerateArray());
            Assert.False(face.GetProperty("unknown").GetBoolean(), $"{name} was not recognised");
            Assert.Equal(name, face.GetProperty("matches")[0].GetProperty("externalId").GetString());
        }

        var stranger = await PostAsync($"/v1/collections/{collection}/search", key, Photos.Form(Photos.Stranger));
        Assert.True(Assert.Single(stranger.GetProperty("faces").EnumerateArray()).GetProperty("unknown").GetBoolean());

        var analysed = await PostAsync("/v1/analyze", key, Photos.Form(Photos.KitProbe, "image", ("collection", collection)));
        Assert.Equal("kit", Assert.Single(analysed.GetProperty("faces").EnumerateArray()).GetProperty("matches")[0].GetProperty("externalId").GetString());

        using (var deleted = await Http.SendAsync(Send(HttpMethod.Delete, $"/v1/collections/{collection}/subjects/{subjects["kit"]}", key)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var afterDelete = await PostAsync("/v1/analyze", key, Photos.Form(Photos.KitProbe, "image", ("collection", collection)));
        var after = Assert.Single(afterDelete.GetProperty("faces").EnumerateArray());
        Assert.DoesNotContain(after.GetProperty("matches").EnumerateArray(), m => m.GetProperty("externalId").GetString() == "kit");
    }

    [Fact]
    public async Task Enrolment_refuses_a_photo_with_several_faces_unless_told_to_take_the_largest()
    {
        var (_, key) = await platform.NewTenantAsync();
        var collection = await CreateCollectionAsync(key, "group");
        var subject = (await PostJsonAsync($"/v1/collections/{collection}/subjects", key, new { externalId = "someone" })).GetProperty("id").GetString();

        using var refused = await Http.SendAsync(Send(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subject}/faces", key, Photos.Form(Photos.TwoPeople)));
        using var largest = await Http.SendAsync(Send(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subject}/faces", key,
            Photos.Form(Photos.TwoPeople, "image", ("face", "largest"))));
        using var again = await Http.SendAsync(Send(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subject}/faces", key,
            Photos.Form(Photos.TwoPeople, "image", ("face", "largest"))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("2 faces", (await refused.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, largest.StatusCode);
        Assert.Equal(1, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public async Task Verify_says_same_person_for_two_photos_of_one_and_not_for_two_people()
    {
        var (_, key) = await platform.NewTenantAsync();
        var same = new MultipartFormDataContent();
        Photos.AddFile(same, Photos.Obama1, "image1");
        Photos.AddFile(same, Photos.Obama2, "image2");
        var different = new MultipartFormDataContent();
        Photos.AddFile(different, Photos.Obama1, "image1");
        Photos.AddFile(different, Photos.Kit1, "image2");

        var yes = await PostAsync("/v1/verify", key, same);
        var no = await PostAsync("/v1/verify", key, different);

        Assert.True(yes.GetProperty("match").GetBoolean(), $"similarity {yes.GetProperty("similarity")}");
        Assert.False(no.GetProperty("match").GetBoolean(), $"similarity {no.GetProperty("similarity")}");
        Assert.True(yes.GetProperty("similarity").GetSingle() > no.GetProperty("similarity").GetSingle());
    }

    [Theory]
    [InlineData("corrupted.png")]
    [InlineData("empty.png")]
    [InlineData("truncated.jpg")]
    public async Task A_broken_photo_gets_a_4xx_problem_and_the_platform_stays_up(string file)
    {
        var (_, key) = await platform.NewTenantAsync();
        var path = Path.Combine(Path.GetDirectoryName(Photos.Corrupted)!, file);

        using var answer = await Http.SendAsync(Send(HttpMethod.Post, "/v1/analyze", key, Photos.Form(path)));
        var problem = await answer.ReadProblemAsync();
        var afterwards = await PostAsync("/v1/analyze", key, Photos.Form(Photos.Obama1));

        Assert.InRange((int)answer.StatusCode, 400, 499);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Single(afterwards.GetProperty("faces").EnumerateArray());
    }

    [Fact]
    public async Task A_body_that_is_not_a_photo_is_415_and_a_missing_photo_is_400()
    {
        var (_, key) = await platform.NewTenantAsync();
        var text = new MultipartFormDataContent { { new StringContent("hello, not an image"), "image", "note.txt" } };

        using var unsupported = await Http.SendAsync(Send(HttpMethod.Post, "/v1/analyze", key, text));
        using var missing = await Http.SendAsync(Send(HttpMethod.Post, "/v1/analyze", key, new MultipartFormDataContent { { new StringContent("x"), "collection" } }));
        using var bodiless = await Http.SendAsync(Send(HttpMethod.Post, "/v1/analyze", key));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);
        await unsupported.ReadProblemAsync();
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        await missing.ReadProblemAsync();
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, bodiless.StatusCode);
        Assert.Contains("multipart/form-data", (await bodiless.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_photo_over_the_pixel_limit_is_413_before_decoding()
    {
        var (_, key) = await platform.NewTenantAsync();
        // A valid 69-byte PNG whose header claims 20000 × 20000 pixels (400 MP): IHDR, a tiny IDAT, IEND.
        var png = PixelBomb.Png(20_000, 20_000);
        var form = new MultipartFormDataContent { { new ByteArrayContent(png), "image", "huge.png" } };

        using var answer = await Http.SendAsync(Send(HttpMethod.Post, "/v1/analyze", key, form));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Contains("MP", (await answer.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_with_a_base64_photo_works_like_multipart()
    {
        var (_, key) = await platform.NewTenantAsync();

        var answer = await PostJsonAsync("/v1/analyze", key, new { image = Convert.ToBase64String(File.ReadAllBytes(Photos.Obama1)) });

        Assert.Single(answer.GetProperty("faces").EnumerateArray());
    }

    [Fact]
    public async Task Grpc_analyse_and_search_mirror_rest()
    {
        var (_, key) = await platform.NewTenantAsync();
        var client = platform.FaceClient;
        var collection = (await client.CreateCollectionAsync(new CreateCollectionRequest { Name = "grpc-people" }, PlatformFixture.WithKey(key))).Collection;
        var subject = (await client.CreateSubjectAsync(new CreateSubjectRequest { CollectionId = collection.Id, ExternalId = "obama" }, PlatformFixture.WithKey(key))).Subject;
        await client.EnrollFaceAsync(new EnrollFaceRequest { CollectionId = collection.Id, SubjectId = subject.Id, Image = Image(Photos.Obama1) }, PlatformFixture.WithKey(key));

        var analysed = await client.AnalyzeAsync(new AnalyzeRequest { Image = Image(Photos.ObamaProbe), CollectionId = collection.Id }, PlatformFixture.WithKey(key));
        var searched = await client.SearchAsync(new SearchRequest { CollectionId = collection.Id, Image = Image(Photos.Stranger) }, PlatformFixture.WithKey(key));
        var broken = await Assert.ThrowsAsync<RpcException>(() => client.AnalyzeAsync(
            new AnalyzeRequest { Image = Image(Photos.Corrupted) }, PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal("obama", Assert.Single(analysed.Faces).Matches[0].ExternalId);
        Assert.True(Assert.Single(searched.Faces).Unknown);
        Assert.Equal(StatusCode.InvalidArgument, broken.StatusCode);
    }

    private static Image Image(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    private async Task<string> CreateCollectionAsync(string key, string name) =>
        (await PostJsonAsync("/v1/collections", key, new { name })).GetProperty("id").GetString()!;

    private Task<JsonElement> PostAsync(string path, string key, HttpContent content) => PlatformFixture.PostAsync(Http, path, key, content);

    private Task<JsonElement> PostJsonAsync(string path, string key, object body) => PlatformFixture.PostJsonAsync(Http, path, key, body);

    private static HttpRequestMessage Send(HttpMethod method, string path, string key, HttpContent? content = null)
    {
        var request = PlatformFixture.Request(method, path, key);
        request.Content = content;
        return request;
    }
}
