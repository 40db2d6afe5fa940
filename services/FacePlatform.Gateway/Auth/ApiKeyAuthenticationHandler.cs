using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Gateway.Limits;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header (gRPC metadata <c>x-api-key</c> is the same HTTP/2 header) through the
/// identity service, which holds only hashes of keys. Answers are cached for <see cref="ApiKeyAuthOptions.KeyCacheSeconds"/>
/// (a revoked key stops working within that time), unknown keys for <see cref="ApiKeyAuthOptions.UnknownKeyCacheSeconds"/>.
/// Failed authentication is not free: a malformed key never reaches identity, and a key that has not recently
/// succeeded is charged to its client address's budget (<see cref="AddressLimiter"/>) before identity is asked, so a
/// client guessing keys gets 429 once that budget is spent.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IdentityService.IdentityServiceClient identity,
    IMemoryCache cache,
    IOptions<ApiKeyAuthOptions> keyOptions,
    AddressLimiter addresses,
    KeyLookups lookUps,
    AuthTelemetry telemetry,
    TenantChanges tenantChanges,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private const string AddressLimitMessage =
        "this client address is over its rate limit for requests without a valid API key (RateLimit:AddressRequestsPerSecond)";

    /// <summary>Keys that succeeded this recently are not charged to their address's budget again.</summary>
    private static readonly TimeSpan RecentlyValid = TimeSpan.FromMinutes(10);

    // Why identity refused a known key (its tenant is suspended): answered 403, not 401.
    private const string RefusedItem = "faceplatform:refused";

    // Per request: whether the address budget was charged, and the wait when it was spent.
    private bool _charged;
    private TimeSpan? _retryAfter;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeyShape.IsPlausible(key))
        {
            telemetry.Refused("malformed");
            return AuthenticateResult.Fail("the API key is malformed");
        }

        var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        if (cache.TryGetValue("apikey:" + digest, out AuthenticateApiKeyResponse? answer) && answer is not null
            && !tenantChanges.RecentlyChanged(answer.TenantId))
        {
            return Success(answer);
        }

        if (cache.TryGetValue("apikey-unknown:" + digest, out _))
        {
            telemetry.Refused("unknown_cached");
            return AuthenticateResult.Fail("the API key is unknown or revoked");
        }

        var running = lookUps.Running(digest);
        if (running is null && !cache.TryGetValue("apikey-valid:" + digest, out _) && !ChargeAddress())
        {
            telemetry.Refused("rate_limited");
            return AuthenticateResult.Fail(AddressLimitMessage);
        }

        // Shared with concurrent requests of the same key, so not cancelled with this one; the internal call deadline bounds it.
        try
        {
            answer = await (running ?? lookUps.Run(digest, () => LookUpAsync(key, digest))).WaitAsync(Context.RequestAborted);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.PermissionDenied)
        {
            Context.Items[RefusedItem] = exception.Status.Detail;
            return AuthenticateResult.Fail(exception.Status.Detail);
        }

        if (answer is null)
        {
            return AuthenticateResult.Fail("the API key is unknown or revoked");
        }

        return Success(answer);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // Requests without a key or with a malformed or remembered-unknown one cost identity nothing, but still count
        // against the address, so that a flood of them meets the same 429 as guessed keys.
        if (_retryAfter is null && !_charged)
        {
            ChargeAddress();
        }

        if (_retryAfter is { } wait)
        {
            return TooManyRequests.WriteAsync(Context, wait, AddressLimitMessage);
        }

        return Context.Items[RefusedItem] is string refused
            ? WriteProblemAsync(StatusCodes.Status403Forbidden, "Tenant suspended", refused)
            : WriteProblemAsync(StatusCodes.Status401Unauthorized, "Missing or unknown API key", $"send a valid API key in the {HeaderName} header");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Permission denied",
            "the API key lacks the scope this operation needs");

    /// <summary>
    /// Asks identity about a key; null when it is unknown, revoked or expired. Caches either answer. A key of a suspended
    /// tenant is refused with PERMISSION_DENIED, which is not cached (a resumed tenant works again at once).
    /// </summary>
    private async Task<AuthenticateApiKeyResponse?> LookUpAsync(string key, string digest)
    {
        var settings = keyOptions.Value;
        AuthenticateApiKeyResponse answer;
        try
        {
            answer = await identity.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key });
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.Unauthenticated)
        {
            telemetry.LookedUp(valid: false);
            if (settings.UnknownKeyCacheSeconds > 0)
            {
                cache.Set("apikey-unknown:" + digest, true, new MemoryCacheEntryOptions
                {
                    AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(settings.UnknownKeyCacheSeconds),
                    Size = 1,
                });
            }

            return null;
        }

        telemetry.LookedUp(valid: true);
        cache.Set("apikey-valid:" + digest, true, new MemoryCacheEntryOptions { SlidingExpiration = RecentlyValid, Size = 1 });
        if (settings.KeyCacheSeconds > 0)
        {
            cache.Set("apikey:" + digest, answer, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(settings.KeyCacheSeconds),
                Size = 1,
            });
        }

        return answer;
    }

    private bool ChargeAddress()
    {
        _charged = true;
        if (addresses.TryAcquire(Context, out var wait))
        {
            return true;
        }

        _retryAfter = wait;
        return false;
    }

    private static AuthenticateResult Success(AuthenticateApiKeyResponse answer)
    {
        var claims = new List<Claim>
        {
            new(Caller.TenantClaim, answer.TenantId),
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
