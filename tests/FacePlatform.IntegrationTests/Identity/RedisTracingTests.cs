using System.Collections.Concurrent;
using System.Diagnostics;
using FacePlatform.ServiceDefaults.Caching;
using FacePlatform.ServiceDefaults.Telemetry;
using FacePlatform.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Redis commands of a service wired as every service is (telemetry + AddPlatformRedis) are traced, real Redis.</summary>
public sealed class RedisTracingTests
{
    [Fact]
    public async Task A_redis_command_becomes_a_child_span_of_the_request_that_issued_it()
    {
        var servers = await Infrastructure.GetAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = servers.Redis });
        builder.AddPlatformTelemetry();
        builder.AddPlatformRedis();
        var redisSpans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = redisSpans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource(TelemetryExtensions.SourcePrefix + ".Tests");
        using var host = builder.Build();
        await host.StartAsync();
        var key = "fp-test:tracing:" + Guid.NewGuid().ToString("N");

        ActivityTraceId trace;
        using (var request = source.StartActivity("request"))
        {
            Assert.NotNull(request);
            trace = request.TraceId;
            var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            await redis.StringSetAsync(key, "x", TimeSpan.FromMinutes(1));
            await redis.KeyDeleteAsync(key);
        }

        // The instrumentation turns profiled commands into spans on its own poll (100 ms while commands arrive):
        // wait for them, without asserting on how long that takes.
        for (var i = 0; i < 300 && !redisSpans.Any(s => s.TraceId == trace); i++)
        {
            await Task.Delay(100);
        }

        await host.StopAsync();
        var spans = redisSpans.Where(s => s.TraceId == trace).ToList();
        Assert.NotEmpty(spans);
        Assert.All(spans, s => Assert.Equal(ActivityKind.Client, s.Kind));
        Assert.Contains(spans, s => s.DisplayName.Contains("SET", StringComparison.OrdinalIgnoreCase)
            || (s.GetTagItem("db.operation.name") ?? s.GetTagItem("db.statement"))?.ToString()?.Contains("SET", StringComparison.OrdinalIgnoreCase) == true);
    }
}
