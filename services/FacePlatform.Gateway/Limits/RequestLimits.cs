using FacePlatform.Gateway.Imaging;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// Request size and rate limits of the public API: bodies larger than a photo plus form overhead are refused by
/// Kestrel (413), gRPC messages larger than two photos by grpc-dotnet (and before it by <c>GrpcMessageBudget</c>);
/// rate limits are in <see cref="RateLimits"/> and <see cref="AddressLimiter"/>.
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
        // The gateway's gRPC messages hold at most two photos; the internal services keep the default of every service.
        builder.Services.Configure<GrpcServiceOptions>(grpc => grpc.MaxReceiveMessageSize = checked((int)images.MaxGrpcMessageBytes));

        builder.AddRateLimits();
    }
}
