using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;

namespace FacePlatform.ServiceDefaults.Telemetry;

/// <summary>
/// gRPC call durations with their gRPC status, under OpenTelemetry's RPC semantic conventions:
/// <c>rpc.server.duration</c> (every call a service answers) and <c>rpc.client.duration</c> (every call the gateway
/// makes to an internal service), in seconds, tagged <c>rpc.system</c>=<c>grpc</c>, <c>rpc.service</c>,
/// <c>rpc.method</c> and <c>rpc.grpc.status_code</c> (the numeric code, as the convention says: 0 OK, 5 NOT_FOUND,
/// 14 UNAVAILABLE …), and on failed calls <c>error.type</c> (the code's canonical name, NOT_FOUND …; absent on OK, as
/// the convention says for a call without error). ASP.NET Core's <c>http.server.request.duration</c> cannot show gRPC failures: they are HTTP 200.
/// Tag values are bounded: services and methods are those of the protos (the server sees only mapped methods), codes
/// are the 17 of gRPC. Prometheus: <c>rpc_server_duration_seconds</c>, <c>rpc_client_duration_seconds</c>.
/// </summary>
public sealed class RpcMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = TelemetryExtensions.SourcePrefix + ".Rpc";

    private readonly Histogram<double> _server;
    private readonly Histogram<double> _client;

    /// <summary>Creates the instruments on a meter of <paramref name="meters"/>.</summary>
    public RpcMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _server = meter.CreateHistogram("rpc.server.duration", "s",
            "Duration of gRPC calls answered, by service, method and gRPC status code",
            advice: DurationBuckets.Advice(DurationBuckets.Call));
        _client = meter.CreateHistogram("rpc.client.duration", "s",
            "Duration of gRPC calls made to internal services, by service, method and gRPC status code",
            advice: DurationBuckets.Advice(DurationBuckets.Call));
    }

    /// <summary>Records a call answered by this service; <paramref name="fullMethod"/> is <c>/package.Service/Method</c>.</summary>
    public void ServerCall(string fullMethod, StatusCode status, TimeSpan elapsed)
    {
        var (service, method) = SplitMethod(fullMethod);
        _server.Record(elapsed.TotalSeconds, Tags(service, method, status));
    }

    /// <summary>Records a call this service made.</summary>
    public void ClientCall(string service, string method, StatusCode status, TimeSpan elapsed) =>
        _client.Record(elapsed.TotalSeconds, Tags(service, method, status));

    /// <summary>
    /// The status a call ends with when its handler (or the call) threw <paramref name="exception"/>: an
    /// <see cref="RpcException"/>'s own; a cancellation is DEADLINE_EXCEEDED past the deadline, else CANCELLED; any
    /// other exception is UNKNOWN, which is what grpc-dotnet answers for it.
    /// </summary>
    public static StatusCode StatusOf(Exception exception, DateTime deadline, DateTime utcNow) => exception switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when deadline <= utcNow => StatusCode.DeadlineExceeded,
        OperationCanceledException => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };

    /// <summary><c>/package.Service/Method</c> split into <c>package.Service</c> and <c>Method</c>.</summary>
    public static (string Service, string Method) SplitMethod(string fullMethod)
    {
        ArgumentNullException.ThrowIfNull(fullMethod);
        var path = fullMethod.TrimStart('/');
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (path, string.Empty) : (path[..slash], path[(slash + 1)..]);
    }

    private static TagList Tags(string service, string method, StatusCode status)
    {
        var tags = new TagList
        {
            { "rpc.system", "grpc" },
            { "rpc.service", service },
            { "rpc.method", method },
            { "rpc.grpc.status_code", (int)status },
        };
        if (status != StatusCode.OK)
        {
            tags.Add("error.type", ErrorType(status));
        }

        return tags;
    }

    /// <summary>gRPC's canonical name of a status code (DEADLINE_EXCEEDED), the value of <c>error.type</c>.</summary>
    public static string ErrorType(StatusCode status) => status switch
    {
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.DataLoss => "DATA_LOSS",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        _ => status.ToString().ToUpperInvariant(),
    };
}
