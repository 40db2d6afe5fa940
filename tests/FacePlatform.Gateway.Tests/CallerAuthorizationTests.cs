using FacePlatform.ServiceDefaults.Security;
using FacePlatform.Testing;
using Grpc.Core;

namespace FacePlatform.Gateway.Tests;

/// <summary>
/// The rule every internal gRPC call passes (ServiceDefaults <see cref="CallerAuthorization"/>), with real
/// certificates of a test CA and of an unrelated one; no server.
/// </summary>
public sealed class CallerAuthorizationTests : IDisposable
{
    private readonly TestCertificates _platform = TestCertificates.Platform;
    private readonly InternalCertificates _identity;
    private readonly CallerAuthorization _rule;

    public CallerAuthorizationTests()
    {
        _identity = new InternalCertificates(
            _platform.CertificatePath("identity"), _platform.KeyPath("identity"), _platform.CaPath);
        _rule = new CallerAuthorization(_identity, "identity", ["gateway"]);
    }

    [Fact]
    public void The_gateways_certificate_is_allowed_and_named()
    {
        var decision = _rule.Decide(_platform.Certificate("gateway"));

        Assert.True(decision.IsAllowed, decision.Message);
        Assert.Equal("gateway", decision.Caller);
    }

    [Fact]
    public void A_call_without_a_certificate_is_unauthenticated()
    {
        var decision = _rule.Decide(null);

        Assert.Equal(StatusCode.Unauthenticated, decision.Refusal);
        Assert.Contains("mutual TLS", decision.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("embedding")]
    [InlineData("attributes")]
    [InlineData("identity")]
    public void Another_services_valid_certificate_is_permission_denied(string caller)
    {
        var decision = _rule.Decide(_platform.Certificate(caller));

        Assert.Equal(StatusCode.PermissionDenied, decision.Refusal);
        Assert.Equal(caller, decision.Caller);
        Assert.Contains("only gateway may", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_named_gateway_from_another_authority_is_unauthenticated()
    {
        var impostor = TestCertificates.Create("impostor-unit");

        var decision = _rule.Decide(impostor.Certificate("gateway"));

        Assert.Equal(StatusCode.Unauthenticated, decision.Refusal);
        Assert.Contains("not a client certificate of the platform CA", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_list_of_callers_is_what_counts()
    {
        var rule = new CallerAuthorization(_identity, "identity", ["gateway", "embedding"]);

        Assert.True(rule.Decide(_platform.Certificate("embedding")).IsAllowed);
        Assert.Equal(StatusCode.PermissionDenied, rule.Decide(_platform.Certificate("attributes")).Refusal);
    }

    [Fact]
    public void A_certificate_that_does_not_belong_to_the_authority_is_refused_at_load()
    {
        var other = TestCertificates.Create("other-unit");

        var error = Assert.Throws<InvalidOperationException>(() =>
            new InternalCertificates(other.CertificatePath("gateway"), other.KeyPath("gateway"), _platform.CaPath));
        Assert.Contains("is not issued by the CA", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _identity.Dispose();
}

/// <summary>Renewed certificates are picked up from the files without a restart; a half-written rotation is not.</summary>
public sealed class InternalCertificateReloadTests
{
    [Fact]
    public void A_renewed_certificate_on_disk_replaces_the_old_one_and_a_mismatched_pair_is_ignored()
    {
        var platform = TestCertificates.Platform;
        var directory = Directory.CreateTempSubdirectory("faceplatform-reload-").FullName;
        var certificate = Path.Combine(directory, "tls.crt");
        var key = Path.Combine(directory, "tls.key");
        var ca = Path.Combine(directory, "ca.crt");
        File.Copy(platform.CaPath, ca);
        Put("identity", "identity");
        using var certificates = new InternalCertificates(certificate, key, ca, checkEvery: TimeSpan.Zero);
        Assert.Equal("identity", certificates.Name);

        // Half a rotation: the new certificate is there, its key not yet. The old pair stays in use.
        Put("gateway", "identity");
        Assert.Equal("identity", certificates.Name);

        Put("gateway", "gateway");
        Assert.Equal("gateway", certificates.Name);
        Assert.True(certificates.Certificate.HasPrivateKey);

        void Put(string certificateOf, string keyOf)
        {
            File.Copy(platform.CertificatePath(certificateOf), certificate, overwrite: true);
            File.Copy(platform.KeyPath(keyOf), key, overwrite: true);
        }
    }

    [Fact]
    public void A_secret_volume_renewed_by_swapping_its_data_link_is_picked_up()
    {
        // How the kubelet updates a mounted Secret: tls.crt -> ..data/tls.crt, and ..data is re-pointed at a new folder.
        var platform = TestCertificates.Platform;
        var volume = Directory.CreateTempSubdirectory("faceplatform-secret-").FullName;
        Version("v1", "identity");
        var data = Path.Combine(volume, "..data");
        Directory.CreateSymbolicLink(data, Path.Combine(volume, "v1"));
        foreach (var file in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            File.CreateSymbolicLink(Path.Combine(volume, file), Path.Combine("..data", file));
        }

        using var certificates = new InternalCertificates(
            Path.Combine(volume, "tls.crt"), Path.Combine(volume, "tls.key"), Path.Combine(volume, "ca.crt"), checkEvery: TimeSpan.Zero);
        Assert.Equal("identity", certificates.Name);

        Version("v2", "gateway");
        // The kubelet renames a new link over ..data (atomic); removing and re-making it reads the same afterwards.
        Directory.Delete(data);
        Directory.CreateSymbolicLink(data, Path.Combine(volume, "v2"));

        Assert.Equal("gateway", certificates.Name);

        void Version(string folder, string service)
        {
            var path = Directory.CreateDirectory(Path.Combine(volume, folder)).FullName;
            File.Copy(platform.CertificatePath(service), Path.Combine(path, "tls.crt"));
            File.Copy(platform.KeyPath(service), Path.Combine(path, "tls.key"));
            File.Copy(platform.CaPath, Path.Combine(path, "ca.crt"));
        }
    }
}
