using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Suites with a platform of their own (TrainedModelTests) start it only after the shared one has stopped: two platforms
// starting at once on the 2-core VM left identity's migrations unapplied past the 120-s readiness wait.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace FacePlatform.EndToEndTests;

/// <summary>All end-to-end tests share one running platform and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}

/// <summary>Reads RFC 9457 problem details.</summary>
internal static class Problems
{
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static MediaTypeHeaderValue Json { get; } = new("application/json");
}
