using System.Security.Claims;
using System.Text.Encodings.Web;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header (gRPC metadata <c>x-api-key</c> is the same HTTP/2 header) through the
/// identity service, which holds only hashes of keys. Answers are cached for a few seconds (Auth:KeyCacheSeconds), so
/// a revoked key stops working within that time.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IdentityService.IdentityServiceClient identity,
    IMemoryCache cache,
    IConfiguration configuration,
    TenantChanges tenantChanges,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    // Why identity refused a known key (its tenant is suspended): answered 403, not 401.
    private const string RefusedItem = "faceplatform:refused";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        if (key.Length > 200)
        {
            return AuthenticateResult.Fail("the API key is malformed");
        }

        var cacheKey = "apikey:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
        if (!cache.TryGetValue(cacheKey, out AuthenticateApiKeyResponse? answer) || tenantChanges.RecentlyChanged(answer!.TenantId))
        {
            try
            {
                answer = await identity.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key },
                    cancellationToken: Context.RequestAborted);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unauthenticated)
            {
                return AuthenticateResult.Fail("the API key is unknown or revoked");
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.PermissionDenied)
            {
                Context.Items[RefusedItem] = exception.Status.Detail;
                return AuthenticateResult.Fail(exception.Status.Detail);
            }

            var seconds = configuration.GetValue("Auth:KeyCacheSeconds", 10);
            if (seconds > 0)
            {
                cache.Set(cacheKey, answer, new MemoryCacheEntryOptions
                {
                    AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(seconds),
                    Size = 1,
                });
            }
        }

        var claims = new List<Claim>
        {
            new(Caller.TenantClaim, answer!.TenantId),
            new(Caller.KeyClaim, answer.KeyId),
        };
        if (answer.PlatformAdmin)
        {
            claims.Add(new Claim(Caller.PlatformAdminClaim, "true"));
        }

        claims.AddRange(answer.Scopes.Select(s => new Claim(Caller.ScopeClaim, s.ToString())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Context.Items[RefusedItem] is string refused
            ? WriteProblemAsync(StatusCodes.Status403Forbidden, "Tenant suspended", refused)
            : WriteProblemAsync(StatusCodes.Status401Unauthorized, "Missing or unknown API key",
                $"send a valid API key in the {HeaderName} header");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Permission denied",
            "the API key lacks the scope this operation needs");

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = SchemeName;
        }

        // gRPC callers read the HTTP status (401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED); only REST gets a body.
        if (Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            return;
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
