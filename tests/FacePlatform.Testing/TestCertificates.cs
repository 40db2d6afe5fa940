using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FacePlatform.Testing;

/// <summary>
/// A throwaway certificate authority and one certificate per service (<c>gateway</c>, <c>identity</c>,
/// <c>embedding</c>, <c>attributes</c>) for the mutual TLS between the services, as <c>deploy/local/pki.sh</c> makes
/// them: ECDSA P-256, common name = the service, SANs localhost and 127.0.0.1, server and client authentication. The
/// PEM files live in a temporary folder (keys mode 600) that services started as processes read;
/// <see cref="Platform"/> is minted once per test run, and <see cref="Create"/> makes an unrelated authority (an
/// impostor's) for tests that must be refused.
/// </summary>
public sealed class TestCertificates
{
    /// <summary>The services that get a certificate.</summary>
    public static readonly IReadOnlyList<string> ServiceNames = ["gateway", "identity", "embedding", "attributes"];

    private static readonly Lazy<TestCertificates> Shared = new(() => Create("platform"));

    private readonly Dictionary<string, X509Certificate2> _certificates = new(StringComparer.Ordinal);

    private TestCertificates(string directory, X509Certificate2 authority)
    {
        Directory = directory;
        Authority = authority;
    }

    /// <summary>The platform's authority and certificates, shared by every fixture of the test run.</summary>
    public static TestCertificates Platform => Shared.Value;

    /// <summary>The folder of the PEM files.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (without its key).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The CA certificate's PEM file.</summary>
    public string CaPath => Path.Combine(Directory, "ca.crt");

    /// <summary>A new authority with certificates for every service, unrelated to any other.</summary>
    /// <param name="label">Names the folder and the CA.</param>
    public static TestCertificates Create(string label)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"faceplatform-pki-{label}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"O=FacePlatform tests, CN=FacePlatform test CA ({label})", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        File.WriteAllText(Path.Combine(directory, "ca.crt"), ca.ExportCertificatePem());

        var certificates = new TestCertificates(directory, X509CertificateLoader.LoadCertificate(ca.RawData));
        foreach (var service in ServiceNames)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"O=FacePlatform tests, CN={service}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddDnsName(service);
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7F;
            using var issued = request.Create(ca, now.AddMinutes(-5), now.AddDays(7), serial);

            File.WriteAllText(certificates.CertificatePath(service), issued.ExportCertificatePem());
            File.WriteAllText(certificates.KeyPath(service), key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(certificates.KeyPath(service), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            certificates._certificates[service] = X509Certificate2.CreateFromPemFile(
                certificates.CertificatePath(service), certificates.KeyPath(service));
        }

        return certificates;
    }

    /// <summary>The PEM certificate of <paramref name="service"/>.</summary>
    public string CertificatePath(string service) => Path.Combine(Directory, $"{service}.crt");

    /// <summary>The PEM private key of <paramref name="service"/>.</summary>
    public string KeyPath(string service) => Path.Combine(Directory, $"{service}.key");

    /// <summary>The certificate of <paramref name="service"/>, with its private key.</summary>
    public X509Certificate2 Certificate(string service) => _certificates[service];

    /// <summary>
    /// The <c>InternalTls</c> settings of <paramref name="service"/> as environment variables (double underscores);
    /// with <paramref name="separator"/> ":" as configuration keys.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings(string service, string separator = "__") => new Dictionary<string, string>
    {
        [$"InternalTls{separator}CertificatePath"] = CertificatePath(service),
        [$"InternalTls{separator}KeyPath"] = KeyPath(service),
        [$"InternalTls{separator}CaPath"] = CaPath,
    };

    /// <summary>
    /// An HTTP handler that calls an internal service as <paramref name="caller"/> would: presenting its certificate
    /// (none when null) and trusting only this authority's server certificates.
    /// </summary>
    public SocketsHttpHandler ClientHandler(string? caller) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = caller is null ? [] : [Certificate(caller)],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // The server must be the platform's even when the caller is an impostor: what is tested is the server's
            // refusal of the caller, not the caller's of the server.
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is X509Certificate2 server
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && ChainsTo(server, Platform.Authority),
        },
    };

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
