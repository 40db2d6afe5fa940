using System.Diagnostics.Metrics;
using FacePlatform.ServiceDefaults.Telemetry;
using FacePlatform.Testing;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;

namespace FacePlatform.Gateway.Tests;

/// <summary>
/// gRPC calls are measured with their gRPC status (<c>rpc.grpc.status_code</c>, numeric, as OpenTelemetry's semantic
/// conventions say) and with the platform's call buckets.
/// </summary>
public sealed class RpcMetricsTests : IDisposable
{
    private static readonly Method<string, string> GetCollection = new(
        MethodType.Unary, "faceplatform.face.v1.FaceService", "GetCollection",
        Marshallers.Create(s => System.Text.Encoding.UTF8.GetBytes(s), b => System.Text.Encoding.UTF8.GetString(b)),
        Marshallers.Create(s => System.Text.Encoding.UTF8.GetBytes(s), b => System.Text.Encoding.UTF8.GetString(b)));

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Seconds, Dictionary<string, object?> Tags)> _recorded = [];
    private readonly Dictionary<string, Histogram<double>> _histograms = new(StringComparer.Ordinal);

    public RpcMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RpcMetrics.MeterName && instrument is Histogram<double> histogram)
            {
                _histograms[instrument.Name] = histogram;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (_recorded)
            {
                _recorded.Add((instrument.Name, value, copy));
            }
        });
        _listener.Start();
    }

    [Fact]
    public async Task A_failed_client_call_is_recorded_with_its_grpc_status()
    {
        var interceptor = new RpcClientMetricsInterceptor(new RpcMetrics(_services.GetRequiredService<IMeterFactory>()));
        var context = new ClientInterceptorContext<string, string>(GetCollection, null, new CallOptions());

        var call = interceptor.AsyncUnaryCall("id", context, (_, _) => Failing(StatusCode.NotFound));

        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        var (name, seconds, tags) = Assert.Single(_recorded);
        Assert.Equal("rpc.client.duration", name);
        Assert.True(seconds >= 0);
        Assert.Equal("grpc", tags["rpc.system"]);
        Assert.Equal("faceplatform.face.v1.FaceService", tags["rpc.service"]);
        Assert.Equal("GetCollection", tags["rpc.method"]);
        Assert.Equal((int)StatusCode.NotFound, tags["rpc.grpc.status_code"]);
        Assert.Equal("NOT_FOUND", tags["error.type"]);
    }

    [Fact]
    public async Task A_successful_client_call_is_recorded_as_ok()
    {
        var interceptor = new RpcClientMetricsInterceptor(new RpcMetrics(_services.GetRequiredService<IMeterFactory>()));
        var context = new ClientInterceptorContext<string, string>(GetCollection, null, new CallOptions());

        var call = interceptor.AsyncUnaryCall("id", context, (_, _) => new AsyncUnaryCall<string>(
            Task.FromResult("answer"), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { }));

        Assert.Equal("answer", await call.ResponseAsync);
        var ok = Assert.Single(_recorded).Tags;
        Assert.Equal((int)StatusCode.OK, ok["rpc.grpc.status_code"]);
        Assert.False(ok.ContainsKey("error.type"), "a call without error carries no error.type");
    }

    [Fact]
    public void Both_histograms_use_the_call_buckets()
    {
        _ = new RpcMetrics(_services.GetRequiredService<IMeterFactory>());

        Assert.Equal(DurationBuckets.Call, _histograms["rpc.server.duration"].Advice?.HistogramBucketBoundaries);
        Assert.Equal(DurationBuckets.Call, _histograms["rpc.client.duration"].Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public void Duration_bucket_sets_resolve_what_was_measured()
    {
        // docs/benchmarks.md: internal calls 1–20 ms and REST analyse 50–100 ms; search 0.5–25 ms at 1M faces.
        HistogramBuckets.AssertResolves(DurationBuckets.Call, 0.001, 0.02, atLeast: 7);
        HistogramBuckets.AssertResolves(DurationBuckets.Call, 0.05, 0.1, atLeast: 5);
        HistogramBuckets.AssertResolves(DurationBuckets.Search, 0.0005, 0.025, atLeast: 10);
        HistogramBuckets.AssertResolves(DurationBuckets.BulkRead, 0.001, 30, atLeast: 8);
    }

    [Theory]
    [InlineData("/faceplatform.face.v1.FaceService/GetCollection", "faceplatform.face.v1.FaceService", "GetCollection")]
    [InlineData("/grpc.health.v1.Health/Check", "grpc.health.v1.Health", "Check")]
    [InlineData("NoSlash", "NoSlash", "")]
    public void Full_method_names_split_into_service_and_method(string full, string service, string method) =>
        Assert.Equal((service, method), RpcMetrics.SplitMethod(full));

    [Fact]
    public void Exceptions_map_to_the_status_grpc_answers_with()
    {
        var now = new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc);

        Assert.Equal(StatusCode.NotFound, RpcMetrics.StatusOf(new RpcException(new Status(StatusCode.NotFound, "no")), now, now));
        Assert.Equal(StatusCode.DeadlineExceeded, RpcMetrics.StatusOf(new OperationCanceledException(), now, now));
        Assert.Equal(StatusCode.Cancelled, RpcMetrics.StatusOf(new OperationCanceledException(), now.AddSeconds(1), now));
        Assert.Equal(StatusCode.Unknown, RpcMetrics.StatusOf(new InvalidOperationException(), now, now));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private static AsyncUnaryCall<string> Failing(StatusCode code)
    {
        var status = new Status(code, "failed on purpose");
        return new AsyncUnaryCall<string>(
            Task.FromException<string>(new RpcException(status)), Task.FromResult(new Metadata()), () => status, () => [], () => { });
    }

    [Theory]
    [InlineData(StatusCode.DeadlineExceeded, "DEADLINE_EXCEEDED")]
    [InlineData(StatusCode.Unavailable, "UNAVAILABLE")]
    [InlineData(StatusCode.FailedPrecondition, "FAILED_PRECONDITION")]
    [InlineData(StatusCode.Unauthenticated, "UNAUTHENTICATED")]
    public void Error_type_is_the_canonical_name_of_the_code(StatusCode status, string expected) =>
        Assert.Equal(expected, RpcMetrics.ErrorType(status));
}
