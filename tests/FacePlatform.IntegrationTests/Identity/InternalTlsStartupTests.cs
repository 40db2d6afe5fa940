using FacePlatform.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// No caller is trusted for its address: identity does not start at all without its certificate, its key and the
/// platform CA, and says what is missing.
/// </summary>
public sealed class InternalTlsStartupTests
{
    [Fact]
    public async Task Identity_refuses_to_start_without_internal_tls_and_names_the_settings()
    {
        var servers = await Infrastructure.GetAsync();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Postgres", servers.Postgres);
            builder.UseSetting("ConnectionStrings:Redis", servers.Redis);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("InternalTls:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("InternalTls:KeyPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("InternalTls:CaPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_refuses_to_start_with_a_certificate_of_another_authority()
    {
        var servers = await Infrastructure.GetAsync();
        var other = TestCertificates.Create("other-start");
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Postgres", servers.Postgres);
            builder.UseSetting("ConnectionStrings:Redis", servers.Redis);
            builder.UseSetting("InternalTls:CertificatePath", other.CertificatePath("identity"));
            builder.UseSetting("InternalTls:KeyPath", other.KeyPath("identity"));
            builder.UseSetting("InternalTls:CaPath", TestCertificates.Platform.CaPath);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("is not issued by the CA", error.Message, StringComparison.Ordinal);
    }
}
