using FacePlatform.Gateway.Imaging;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// Request size and rate limits of the public API: bodies larger than a photo plus form overhead are refused by
/// Kestrel (413); rate limits are in <see cref="RateLimits"/> and <see cref="AddressLimiter"/>.
/// </summary>
internal static class RequestLimits
{
    public static void AddRequestLimits(this IHostApplicationBuilder builder)
    {
        var images = builder.Configuration.GetSection(ImageLimitsOptions.Section).Get<ImageLimitsOptions>() ?? new ImageLimitsOptions();

        builder.Services.Configure<KestrelServerOptions>(kestrel =>
            // Two photos (verify) plus multipart framing; batch enrolment streams many and is limited per file instead.
            kestrel.Limits.MaxRequestBodySize = (2 * images.MaxImageBytes) + (1024 * 1024));
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form =>
            form.MultipartBodyLengthLimit = images.MaxBatchItems * images.MaxImageBytes);

        builder.AddRateLimits();
    }
}
