using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// A platform of its own, whose identity and embedding the tests stop and start again: the other end-to-end tests
/// share <see cref="PlatformCollection"/>'s platform and must never see it lose a service.
/// </summary>
public sealed class OutagePlatform : PlatformFixture
{
    /// <summary>The embedding service's process.</summary>
    public ServiceProcess EmbeddingService => Services.Single(s => s.Name == "Embedding");
}

/// <summary>Runs alone, after the shared platform's tests: a second platform beside the first would halve the CPU of both.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageCollection : ICollectionFixture<OutagePlatform>
{
    public const string Name = "outage";
}

/// <summary>
/// Readiness does not cascade: with identity or embedding down the gateway stays ready (Kubernetes keeps routing to
/// it), names the missing service in <c>/readyz</c> and <c>faceplatform_dependency_up</c>, serves the web page and
/// the calls that do not need the missing service, answers those that do with 503 problem details (gRPC:
/// UNAVAILABLE), and recovers by itself when the service returns.
/// </summary>
[Collection(OutageCollection.Name)]
public sealed partial class DependencyOutageTests(OutagePlatform platform)
{
    [Fact]
    public async Task With_identity_down_the_gateway_stays_ready_and_answers_503_for_calls_that_need_identity()
    {
        var (_, key) = await platform.NewTenantAsync();
        await platform.Identity.StopAsync();
        try
        {
            await AssertStillReadyWithAsync("identity");

            using var listed = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, listed.StatusCode);
            var problem = await listed.ReadProblemAsync();
            Assert.Contains("unavailable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotNull(listed.Headers.RetryAfter);

            var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.ListCollectionsAsync(
                new ListCollectionsRequest(), PlatformFixture.WithKey(key)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        }
        finally
        {
            platform.Identity.Start();
            await platform.Identity.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        }

        // The gateway's channel reconnects by itself after its connection backoff: no restart of the gateway.
        var recovered = await EventuallyAsync(() => PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
        Assert.Equal(HttpStatusCode.OK, recovered);
        await AssertDependencyHealthyAsync("identity");
    }

    [Fact]
    public async Task With_embedding_down_the_gateway_stays_ready_and_answers_503_for_calls_that_need_embedding()
    {
        var (_, key) = await platform.NewTenantAsync();
        await platform.EmbeddingService.StopAsync();
        try
        {
            await AssertStillReadyWithAsync("embedding");

            using var analyse = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze", key);
            analyse.Content = Photos.Form(Photos.Kit1);
            using var analysed = await platform.Http.SendAsync(analyse);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, analysed.StatusCode);
            var problem = await analysed.ReadProblemAsync();
            Assert.Contains("unavailable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

            var photo = ByteString.CopyFrom(await File.ReadAllBytesAsync(Photos.Kit1));
            var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.AnalyzeAsync(
                new AnalyzeRequest { Image = new Image { Content = photo } }, PlatformFixture.WithKey(key)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);

            // What needs only identity keeps working.
            using var listed = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }
        finally
        {
            platform.EmbeddingService.Start();
            await platform.EmbeddingService.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        }

        var recovered = await EventuallyAsync(() =>
        {
            var request = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze", key);
            request.Content = Photos.Form(Photos.Kit1);
            return request;
        });
        Assert.Equal(HttpStatusCode.OK, recovered);
        await AssertDependencyHealthyAsync("embedding");
    }

    /// <summary>
    /// The gateway is ready over HTTP and grpc.health.v1, names <paramref name="missing"/> as unhealthy in
    /// <c>/readyz</c> and in its metric, and still serves the web page.
    /// </summary>
    private async Task AssertStillReadyWithAsync(string missing)
    {
        using var ready = await platform.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, $"/readyz {(int)ready.StatusCode}: {body}");
        var dependency = body.GetProperty("dependencies").GetProperty(missing);
        Assert.Equal("Unhealthy", dependency.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(dependency.GetProperty("description").GetString()), body.ToString());
        Assert.False(body.GetProperty("checks").TryGetProperty(missing, out _), body.ToString());

        var health = await new Health.HealthClient(platform.Channel).CheckAsync(new HealthCheckRequest(),
            deadline: DateTime.UtcNow.AddSeconds(15));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        Assert.Equal("0", await DependencyUpAsync(missing, "0"));

        using var page = await platform.Http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.True(page.StatusCode == HttpStatusCode.OK,
            $"web page: {(int)page.StatusCode} (is services/web/dist built? tests/run.sh builds it)");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    private async Task AssertDependencyHealthyAsync(string name)
    {
        using var ready = await platform.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("dependencies").GetProperty(name).GetProperty("status").GetString());
        Assert.Equal("1", await DependencyUpAsync(name, "1"));
    }

    /// <summary>
    /// The value of <c>faceplatform_dependency_up</c> for <paramref name="name"/> on the gateway's <c>/metrics</c>:
    /// <paramref name="expected"/> once a probe has recorded it and a scrape shows it (the exporter caches a scrape
    /// briefly), else the last value seen after 10 s.
    /// </summary>
    private async Task<string> DependencyUpAsync(string name, string expected)
    {
        var value = "absent";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            using (await platform.Http.GetAsync(new Uri("/readyz", UriKind.Relative)))
            {
            }

            var metrics = await platform.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            value = DependencyUpSeries().Matches(metrics).Where(m => m.Groups["name"].Value == name)
                .Select(m => m.Groups["value"].Value).FirstOrDefault() ?? "absent";
            if (value == expected)
            {
                return value;
            }

            await Task.Delay(500);
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(10));

        return value;
    }

    [GeneratedRegex(@"^faceplatform_dependency_up\{[^}]*faceplatform_dependency_name=""(?<name>[a-z]+)""[^}]*\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex DependencyUpSeries();

    /// <summary>
    /// Sends the request <paramref name="make"/> makes until it succeeds or 30 s pass (grpc-dotnet's reconnect backoff
    /// after a service was away reaches seconds); the last status.
    /// </summary>
    private async Task<HttpStatusCode> EventuallyAsync(Func<HttpRequestMessage> make)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var request = make();
            using var answer = await platform.Http.SendAsync(request);
            if (answer.IsSuccessStatusCode || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                return answer.StatusCode;
            }

            await Task.Delay(500);
        }
    }
}
