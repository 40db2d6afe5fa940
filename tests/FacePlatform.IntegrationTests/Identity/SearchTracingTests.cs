using System.Collections.Concurrent;
using System.Diagnostics;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Identity.Telemetry;
using Grpc.Core;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// A search is traced stage by stage under its gRPC call's span: cache look-up, candidate scan of the in-memory codes,
/// exact re-rank; a repeated search stops at the cache hit. The calls carry their own W3C trace context, so spans of
/// other tests running beside this one are told apart by trace id.
/// </summary>
public sealed class SearchTracingTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    [Fact]
    public async Task A_search_has_cache_lookup_candidate_and_rerank_spans_and_a_repeat_only_the_cache_hit()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IdentityTelemetry.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var client = identity.Client;
        var tenant = await identity.NewTenantAsync();
        var collection = (await client.NewCollectionAsync(tenant, "traced")).Id;
        var random = new Random(71);
        var person = Galleries.RandomUnit(random);
        var subject = (await client.NewSubjectAsync(tenant, collection, "traced")).Id;
        await client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(person, random), Galleries.FaceOf(person, random)]);
        var request = new SearchRequest { TenantId = tenant, CollectionId = collection, TopK = 1, Queries = { Galleries.Embedding(Galleries.FaceOf(person, random)) } };

        var first = ActivityTraceId.CreateRandom();
        var answer = await InTraceAsync(first, headers => client.SearchAsync(request, headers));
        // The answer is stored in Redis after the reply: repeat until a look-up hits (each repeat its own trace).
        var repeat = default(ActivityTraceId);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var trace = ActivityTraceId.CreateRandom();
            await InTraceAsync(trace, headers => client.SearchAsync(request, headers));
            if (spans.Any(s => s.TraceId == trace && "hit".Equals(s.GetTagItem(IdentityTelemetry.CacheResultAttribute))))
            {
                repeat = trace;
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(subject, answer.Results[0].Matches[0].SubjectId);
        var firstSpans = spans.Where(s => s.TraceId == first).ToDictionary(s => s.OperationName);
        Assert.Equal(["search.cache_lookup", "search.candidates", "search.rerank"], firstSpans.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("miss", firstSpans["search.cache_lookup"].GetTagItem(IdentityTelemetry.CacheResultAttribute));
        Assert.Equal("scan", firstSpans["search.rerank"].GetTagItem(IdentityTelemetry.SearchPathAttribute));
        Assert.Equal(1, firstSpans["search.candidates"].GetTagItem(IdentityTelemetry.SearchQueriesAttribute));

        // Siblings under the one server span of the call (whose parent is the caller's context).
        var parents = firstSpans.Values.Select(s => s.ParentSpanId).Distinct().ToList();
        Assert.Single(parents);
        Assert.NotEqual(default, parents[0]);

        Assert.NotEqual(default, repeat);
        var repeatSpans = spans.Where(s => s.TraceId == repeat).ToList();
        var lookup = Assert.Single(repeatSpans);
        Assert.Equal("search.cache_lookup", lookup.OperationName);
        Assert.Equal("hit", lookup.GetTagItem(IdentityTelemetry.CacheResultAttribute));
    }

    /// <summary>
    /// Runs <paramref name="call"/> in trace <paramref name="trace"/>: under a local parent activity (which the gRPC
    /// client instrumentation, when listening, propagates) and with its W3C traceparent header (for when it does not).
    /// </summary>
    private static async Task<T> InTraceAsync<T>(ActivityTraceId trace, Func<Metadata, AsyncUnaryCall<T>> call)
    {
        using var parent = new Activity("test").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        return await call(new Metadata { { "traceparent", parent.Id! } });
    }
}
