using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FacePlatform.ServiceDefaults.Security;

/// <summary>
/// This service's certificate and the platform CA, from <see cref="InternalTlsOptions"/>, and the one check of whether
/// a peer's certificate was issued by that CA for the use it is put to. The files are read again when they change
/// (looked at every <c>checkEvery</c>, 30 s by default), so certificates that cert-manager renews in the mounted Secret
/// are used by new connections without a restart.
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
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly string _caPath;
    private readonly long _checkEveryMilliseconds;
    private readonly Lock _reload = new();
    private Loaded _loaded;
    private long _nextCheck;

    /// <summary>Loads the certificate, its key and the CA from PEM files.</summary>
    /// <param name="certificatePath">The certificate (PEM).</param>
    /// <param name="keyPath">Its private key (PEM).</param>
    /// <param name="caPath">The CA certificate(s) (PEM).</param>
    /// <param name="checkEvery">How often the files are looked at for a change; default 30 s.</param>
    public InternalCertificates(string certificatePath, string keyPath, string caPath, TimeSpan? checkEvery = null)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _caPath = caPath;
        _checkEveryMilliseconds = (long)(checkEvery ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        _loaded = Load();
        _nextCheck = Environment.TickCount64 + _checkEveryMilliseconds;
    }

    /// <summary>This service's certificate, with its private key (the newest one on disk).</summary>
    public X509Certificate2 Certificate => Current.Certificate;

    /// <summary>This service's identity: the common name of its certificate.</summary>
    public string Name => CommonName(Certificate);

    private Loaded Current
    {
        get
        {
            if (Environment.TickCount64 < Volatile.Read(ref _nextCheck))
            {
                return Volatile.Read(ref _loaded);
            }

            lock (_reload)
            {
                if (Environment.TickCount64 >= _nextCheck)
                {
                    _nextCheck = Environment.TickCount64 + _checkEveryMilliseconds;
                    try
                    {
                        if (Stamp() != _loaded.Stamp)
                        {
                            Volatile.Write(ref _loaded, Load());
                            _trusted.Clear();
                        }
                    }
                    catch (Exception exception) when (exception is CryptographicException or ArgumentException or IOException or InvalidOperationException or UnauthorizedAccessException)
                    {
                        // Caught in the middle of a rotation (a key that does not match its certificate yet, a file
                        // missing for a moment): the old pair stays valid until it expires; the next check reads again.
                    }
                }

                return _loaded;
            }
        }
    }

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
        // First: a reload of the files (a new CA) empties the cache of chains found good.
        var authorities = Current.Authorities;
        var key = certificate.GetCertHashString(HashAlgorithmName.SHA256) + usage.Value;
        if (_trusted.TryGetValue(key, out var notAfter) && DateTime.UtcNow < notAfter)
        {
            reason = string.Empty;
            return true;
        }

        if (!Chains(certificate, authorities, usage, out reason))
        {
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
        // New connections present the newest certificate (see the class); old ones are closed within the hour.
        PooledConnectionLifetime = TimeSpan.FromHours(1),
        SslOptions = new SslClientAuthenticationOptions
        {
            LocalCertificateSelectionCallback = (_, _, _, _, _) => Certificate,
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
        // Only the current pair: certificates replaced by a reload may still serve open connections.
        var loaded = Volatile.Read(ref _loaded);
        loaded.Certificate.Dispose();
        foreach (var authority in loaded.Authorities)
        {
            authority.Dispose();
        }
    }

    private static bool Chains(X509Certificate2 certificate, X509Certificate2Collection authorities, Oid usage, out string reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // A throwaway CA per installation, certificates rotated by cert-manager or the local script: no CRL/OCSP to ask.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (chain.Build(certificate))
        {
            reason = string.Empty;
            return true;
        }

        reason = string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return false;
    }

    // By content, not modification time: Kubernetes renews a mounted Secret by swapping a symbolic link, which leaves
    // the files' own links (and what some file systems report as their times) unchanged. Three small files every 30 s.
    private string Stamp()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { _certificatePath, _keyPath, _caPath })
        {
            hash.AppendData(File.ReadAllBytes(path));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private Loaded Load()
    {
        var stamp = Stamp();
        var certificate = X509Certificate2.CreateFromPemFile(_certificatePath, _keyPath);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(_caPath);
        if (authorities.Count == 0)
        {
            throw new InvalidOperationException($"{_caPath} holds no certificate");
        }

        if (!Chains(certificate, authorities, ClientAuthentication, out var reason) && !Chains(certificate, authorities, ServerAuthentication, out reason))
        {
            throw new InvalidOperationException(
                $"The certificate {_certificatePath} ({certificate.Subject}) is not issued by the CA in {_caPath}: {reason}");
        }

        return new Loaded(certificate, authorities, stamp);
    }

    private sealed record Loaded(X509Certificate2 Certificate, X509Certificate2Collection Authorities, string Stamp);
}
