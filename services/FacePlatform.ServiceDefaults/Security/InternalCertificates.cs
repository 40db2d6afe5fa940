using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FacePlatform.ServiceDefaults.Security;

/// <summary>
/// This service's certificate and the platform CA, loaded once from <see cref="InternalTlsOptions"/>, and the one
/// check of whether a peer's certificate was issued by that CA for the use it is put to.
/// </summary>
public sealed class InternalCertificates : IDisposable
{
    /// <summary>Extended key usage of a TLS client (the caller's certificate).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    /// <summary>Extended key usage of a TLS server (the called service's certificate).</summary>
    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    // Chains already found good, by SHA-256 of the certificate and usage: a gateway makes thousands of calls per second
    // over a handful of certificates, so each is built once. Bounded: only certificates that passed the TLS handshake
    // (issued by the CA) get here on a real connection, so the set stays small; a full cache is simply cleared.
    private const int TrustedCacheSize = 256;
    private readonly ConcurrentDictionary<string, DateTime> _trusted = new(StringComparer.Ordinal);
    private readonly X509Certificate2Collection _authorities;

    /// <summary>Loads the certificate, its key and the CA from PEM files.</summary>
    /// <param name="certificatePath">The certificate (PEM).</param>
    /// <param name="keyPath">Its private key (PEM).</param>
    /// <param name="caPath">The CA certificate(s) (PEM).</param>
    public InternalCertificates(string certificatePath, string keyPath, string caPath)
    {
        Certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        _authorities = [];
        _authorities.ImportFromPemFile(caPath);
        if (_authorities.Count == 0)
        {
            throw new InvalidOperationException($"{caPath} holds no certificate");
        }

        if (!IsIssuedByAuthority(Certificate, ClientAuthentication, out var reason) && !IsIssuedByAuthority(Certificate, ServerAuthentication, out reason))
        {
            throw new InvalidOperationException(
                $"The certificate {certificatePath} ({Certificate.Subject}) is not issued by the CA in {caPath}: {reason}");
        }
    }

    /// <summary>This service's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>This service's identity: the common name of its certificate.</summary>
    public string Name => CommonName(Certificate);

    /// <summary>The common name of a certificate's subject (empty when it has none).</summary>
    public static string CommonName(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>
    /// True when <paramref name="certificate"/> chains to the platform CA (and only to it: the system's roots are not
    /// trusted), is within its validity period and may be used for <paramref name="usage"/>.
    /// </summary>
    /// <param name="certificate">The peer's certificate.</param>
    /// <param name="usage"><see cref="ClientAuthentication"/> or <see cref="ServerAuthentication"/>.</param>
    /// <param name="reason">Why not, when not.</param>
    public bool IsIssuedByAuthority(X509Certificate2 certificate, Oid usage, out string reason)
    {
        var key = certificate.GetCertHashString(HashAlgorithmName.SHA256) + usage.Value;
        if (_trusted.TryGetValue(key, out var notAfter) && DateTime.UtcNow < notAfter)
        {
            reason = string.Empty;
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        // A throwaway CA per installation, certificates rotated by cert-manager or the local script: no CRL/OCSP to ask.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (!chain.Build(certificate))
        {
            reason = string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return false;
        }

        if (_trusted.Count >= TrustedCacheSize)
        {
            _trusted.Clear();
        }

        _trusted[key] = certificate.NotAfter.ToUniversalTime();
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// The HTTP handler of a channel to an internal service: presents this service's certificate and accepts only a
    /// server certificate of the platform CA whose name matches the address (the system's roots are not trusted).
    /// </summary>
    public SocketsHttpHandler CreateClientHandler() => new()
    {
        // gRPC multiplexes calls on HTTP/2 connections; more than one lets a busy gateway go past the stream limit.
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [Certificate],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is X509Certificate2 server
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && IsIssuedByAuthority(server, ServerAuthentication, out _),
        },
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var authority in _authorities)
        {
            authority.Dispose();
        }
    }
}
