using System.Text.Json;
using System.Text.Json.Nodes;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// The OpenAPI document checked in at <c>services/web/openapi/faceplatform-v1.json</c> — the input of the web page's
/// generated TypeScript client — is the one the gateway serves, so a changed API fails here until the copy (and the
/// client generated from it) is brought up to date.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenApiDocumentTests(PlatformFixture platform)
{
    public static string CheckedIn => Path.Combine(RepositoryPaths.Root, "services", "web", "openapi", "faceplatform-v1.json");

    [Fact]
    public async Task The_checked_in_openapi_document_is_the_one_the_gateway_serves()
    {
        var served = Normalise(JsonNode.Parse(await platform.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!);
        var checkedIn = File.Exists(CheckedIn) ? JsonNode.Parse(await File.ReadAllTextAsync(CheckedIn)) : null;

        if (checkedIn is null || !JsonNode.DeepEquals(served, Normalise(checkedIn)))
        {
            var fresh = Path.Combine(RepositoryPaths.Root, "tests", "artifacts", "openapi", "faceplatform-v1.json");
            Directory.CreateDirectory(Path.GetDirectoryName(fresh)!);
            await File.WriteAllTextAsync(fresh, served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Assert.Fail($"{CheckedIn} differs from the gateway's /openapi/v1.json. The served document is in {fresh}: copy it over, " +
                "then run `npm run generate:api` in services/web and commit both.");
        }
    }

    // The servers list names the address the document was fetched from, which differs between runs.
    private static JsonNode Normalise(JsonNode document)
    {
        document.AsObject().Remove("servers");
        return document;
    }
}
