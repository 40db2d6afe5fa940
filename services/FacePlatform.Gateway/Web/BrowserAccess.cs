using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Web;

/// <summary>
/// Which other web origins may call the API from a browser (section <c>Cors</c>). None by default: the gateway's own
/// page is same-origin and needs no CORS; a page served elsewhere (another team's app) is named here.
/// </summary>
internal sealed class BrowserAccessOptions
{
    public const string Section = "Cors";

    /// <summary>Origins such as <c>https://app.example.com</c> (scheme, host and port; no path, no wildcard).</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Seconds a browser may cache a preflight answer.</summary>
    public int PreflightMaxAgeSeconds { get; set; } = 600;

    /// <summary>The origins that are not a bare http(s) origin; empty when all are.</summary>
    public IEnumerable<string> Invalid() => AllowedOrigins.Where(origin =>
        !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
        || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'));
}

/// <summary>CORS for the configured origins, and grpc-web for browsers that want the public gRPC API.</summary>
internal static class BrowserAccess
{
    // What a browser page sends and reads: the key, JSON/multipart and idempotency headers of REST, and grpc-web's own.
    private static readonly string[] RequestHeaders =
        ["X-Api-Key", "Content-Type", "Idempotency-Key", "X-Grpc-Web", "X-User-Agent", "Grpc-Timeout"];

    private static readonly string[] ResponseHeaders =
        ["Retry-After", "Location", "Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Grpc-Encoding", "Grpc-Accept-Encoding"];

    public static void AddBrowserAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BrowserAccessOptions>().BindConfiguration(BrowserAccessOptions.Section)
            .Validate(o => !o.Invalid().Any(), "Cors:AllowedOrigins must be origins like https://app.example.com (scheme, host, port; no path, no '*')")
            .Validate(o => o.PreflightMaxAgeSeconds >= 0, "Cors:PreflightMaxAgeSeconds must not be negative")
            .ValidateOnStart();
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<BrowserAccessOptions>>((cors, access) => cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. access.Value.AllowedOrigins.Select(o => o.TrimEnd('/'))])
                .WithMethods("GET", "POST", "PATCH", "DELETE")
                .WithHeaders(RequestHeaders)
                .WithExposedHeaders(ResponseHeaders)
                .SetPreflightMaxAge(TimeSpan.FromSeconds(access.Value.PreflightMaxAgeSeconds))));
    }

    /// <summary>CORS before authentication, so that a preflight (which carries no key) is answered, not refused.</summary>
    public static void UseCorsForAllowedOrigins(this IApplicationBuilder app) => app.UseCors();
}
