using System.Globalization;
using System.Threading.RateLimiting;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Imaging;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FacePlatform.Gateway.Limits;

/// <summary>Settings of per-key rate limiting (section <c>RateLimit</c>).</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Requests a key may make per second, sustained.</summary>
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests a key may make in a burst above the sustained rate.</summary>
    public int Burst { get; set; } = 100;
}

/// <summary>
/// Request size and rate limits of the public API: bodies larger than a photo plus form overhead are refused by
/// Kestrel (413), and each API key gets a token bucket; a key over its budget gets 429 with <c>Retry-After</c>
/// (gRPC: RESOURCE_EXHAUSTED). Requests without a key are limited per client address.
/// </summary>
internal static class RequestLimits
{
    public static void AddRequestLimits(this IHostApplicationBuilder builder)
    {
        var images = builder.Configuration.GetSection(ImageLimitsOptions.Section).Get<ImageLimitsOptions>() ?? new ImageLimitsOptions();
        var rate = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();

        builder.Services.Configure<KestrelServerOptions>(kestrel =>
            // Two photos (verify) plus multipart framing; batch enrolment streams many and is limited per file instead.
            kestrel.Limits.MaxRequestBodySize = (2 * images.MaxImageBytes) + (1024 * 1024));
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form =>
            form.MultipartBodyLengthLimit = images.MaxBatchItems * images.MaxImageBytes);

        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = context.Request.Headers[ApiKeyAuthenticationHandler.HeaderName].ToString();
                var partition = key.Length > 0 ? "key:" + key : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = rate.Burst,
                    TokensPerPeriod = rate.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
                {
                    return;
                }

                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"this API key is over its rate limit of {rate.RequestsPerSecond} requests per second; retry after {retryAfter.TotalSeconds:F0} s",
                    },
                });
            };
        });
    }
}
