namespace FacePlatform.ServiceDefaults.Audit;

/// <summary>
/// gRPC metadata with which the gateway tells identity who is calling: the API key, its tenant and the client's
/// network address, for the audit log. Identity trusts these entries because only the gateway may call it (internal
/// calls are authenticated); the gateway sets them from the authenticated request, never from the client's headers.
/// </summary>
public static class CallerMetadata
{
    /// <summary>The id of the API key that authenticated the request.</summary>
    public const string KeyId = "x-faceplatform-key-id";

    /// <summary>The tenant of that key (a platform admin acting on another tenant differs from the request's tenant).</summary>
    public const string TenantId = "x-faceplatform-key-tenant";

    /// <summary>The client's address as the gateway's connection saw it.</summary>
    public const string ClientAddress = "x-faceplatform-client-address";
}
