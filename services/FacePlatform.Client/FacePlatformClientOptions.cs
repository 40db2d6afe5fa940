namespace FacePlatform.Client;

/// <summary>Where the platform is, who calls it, and how long and how often a call may try.</summary>
public sealed class FacePlatformClientOptions
{
    /// <summary>The environment variable that <see cref="FromEnvironment"/> reads the REST address from.</summary>
    public const string UrlVariable = "FACEPLATFORM_URL";

    /// <summary>The environment variable that <see cref="FromEnvironment"/> reads the API key from.</summary>
    public const string ApiKeyVariable = "FACEPLATFORM_API_KEY";

    /// <summary>The environment variable that <see cref="FromEnvironment"/> reads the gRPC address from.</summary>
    public const string GrpcUrlVariable = "FACEPLATFORM_GRPC_URL";

    /// <summary>The gateway's REST address, e.g. <c>http://localhost:8080</c>.</summary>
    public Uri? RestAddress { get; set; }

    /// <summary>The gateway's public gRPC address, e.g. <c>http://localhost:8081</c> (h2c) or an <c>https://</c> one.</summary>
    public Uri? GrpcAddress { get; set; }

    /// <summary>
    /// Speak grpc-web (binary) over HTTP/1.1 instead of gRPC over HTTP/2: for hosts without HTTP/2 to the gateway
    /// (Blazor WebAssembly in a browser, proxies that downgrade). The gateway serves grpc-web on its REST port too.
    /// </summary>
    public bool GrpcWeb { get; set; }

    /// <summary>The API key sent with every call (<c>X-Api-Key</c> header, gRPC metadata <c>x-api-key</c>).</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>
    /// Deadline of one call, all its retries included, when the caller gives none (default 30 s: an analyse of a
    /// 40-MP photo on a busy CPU node takes seconds, a hung connection must not hold a caller for minutes).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Attempts of a call that fails with <c>UNAVAILABLE</c> (gRPC) or 503 / no connection (REST), the first
    /// included (default 5, with exponential back-off from 200 ms); 1 turns retries off.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; each further retry waits twice as long (with jitter), at most 5 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Options from the environment: <c>FACEPLATFORM_URL</c> (REST), <c>FACEPLATFORM_GRPC_URL</c> (gRPC; default:
    /// the REST host on port 8081) and <c>FACEPLATFORM_API_KEY</c>.
    /// </summary>
    public static FacePlatformClientOptions FromEnvironment()
    {
        var options = new FacePlatformClientOptions
        {
            ApiKey = Environment.GetEnvironmentVariable(ApiKeyVariable) ?? string.Empty,
        };
        if (Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } rest)
        {
            options.RestAddress = new Uri(rest);
        }

        if (Environment.GetEnvironmentVariable(GrpcUrlVariable) is { Length: > 0 } grpc)
        {
            options.GrpcAddress = new Uri(grpc);
        }
        else if (options.RestAddress is { } address)
        {
            options.GrpcAddress = new UriBuilder(address) { Port = 8081, Path = "/" }.Uri;
        }

        return options;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException($"an API key is needed ({nameof(ApiKey)} or {ApiKeyVariable})");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "at least 1");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "must be positive");
        }
    }

    internal static Uri Require(Uri? address, string what) =>
        address ?? throw new ArgumentException($"the platform's {what} address is not set");
}
