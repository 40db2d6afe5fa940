namespace FacePlatform.ServiceDefaults.Security;

/// <summary>
/// Section <c>InternalTls</c>: the service's own certificate and the platform's CA, with which every internal gRPC
/// call is made over mutual TLS. Mutual TLS rather than signed tokens because it also encrypts what travels between
/// the services — photos and face vectors — and needs no token issuer. Required by the internal services (identity,
/// embedding, attributes) and by the gateway, which calls them: a service without it does not start.
/// </summary>
public sealed class InternalTlsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "InternalTls";

    /// <summary>This service's certificate (PEM). Its common name is the service's identity (<c>gateway</c>, <c>identity</c>, …).</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>The certificate's private key (PEM, unencrypted; keep it mode 600 or in a Kubernetes Secret).</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>The platform CA's certificate(s) (PEM): the only roots trusted for internal calls, never the system store.</summary>
    public string CaPath { get; set; } = string.Empty;

    /// <summary>
    /// On an internal service: the common names of the client certificates that may call it. Empty: the service's
    /// own default (the gateway).
    /// </summary>
    public List<string> AllowedCallers { get; set; } = [];
}
