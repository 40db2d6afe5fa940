using System.Security.Cryptography;
using FacePlatform.ServiceDefaults.Security;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Mutual TLS between the services (section <c>InternalTls</c>, <see cref="InternalTlsOptions"/>): internal services
/// serve gRPC only to callers with a certificate of the platform CA whose name they accept; the gateway presents its
/// certificate and trusts only that CA when it calls them.
/// </summary>
public static class InternalTlsExtensions
{
    /// <summary>
    /// Binds and checks <see cref="InternalTlsOptions"/> at start (the service does not start without a certificate,
    /// key and CA that belong together) and registers <see cref="InternalCertificates"/>.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    public static TBuilder AddInternalTls<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<InternalTlsOptions>()
            .BindConfiguration(InternalTlsOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InternalTlsOptions>, InternalTlsOptionsValidator>();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InternalTlsOptions>>().Value;
            return new InternalCertificates(options.CertificatePath, options.KeyPath, options.CaPath);
        });
        return builder;
    }

    /// <summary>
    /// Makes this an internal service: its gRPC endpoint (Kestrel endpoint <c>Grpc</c>, which must be <c>https://</c>)
    /// requires a client certificate of the platform CA, and every gRPC call (health and reflection included) must
    /// come from one of <see cref="InternalTlsOptions.AllowedCallers"/> — <paramref name="defaultCallers"/> unless
    /// configured — or is refused with UNAUTHENTICATED / PERMISSION_DENIED. The HTTP endpoint keeps serving
    /// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> in plain HTTP/1.1, where no gRPC call can be made.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="service">The service's name, for refusals.</param>
    /// <param name="defaultCallers">Who may call it when <c>InternalTls:AllowedCallers</c> is not set.</param>
    public static TBuilder AddInternalCallerAuthentication<TBuilder>(this TBuilder builder, string service, params string[] defaultCallers)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddInternalTls();
        builder.Services.PostConfigure<InternalTlsOptions>(options =>
        {
            if (options.AllowedCallers.Count == 0)
            {
                options.AllowedCallers.AddRange(defaultCallers);
            }
        });
        builder.Services.AddSingleton(sp => new CallerAuthorization(
            sp.GetRequiredService<InternalCertificates>(), service,
            [.. sp.GetRequiredService<IOptions<InternalTlsOptions>>().Value.AllowedCallers]));
        builder.Services.AddSingleton<InternalCallerInterceptor>();
        builder.Services.Configure<GrpcServiceOptions>(options => options.Interceptors.Add<InternalCallerInterceptor>());

        var kestrelSection = builder.Configuration.GetSection("Kestrel");
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IServiceProvider>((kestrel, services) =>
            kestrel.Configure(kestrelSection).Endpoint("Grpc", endpoint =>
            {
                if (!endpoint.IsHttps)
                {
                    throw new InvalidOperationException(
                        $"{service}: Kestrel:Endpoints:Grpc:Url must be https:// — internal gRPC is served only over mutual TLS");
                }

                var certificates = services.GetRequiredService<InternalCertificates>();
                // A selector, not a fixed certificate: each handshake takes the newest one on disk (renewals).
                endpoint.HttpsOptions.ServerCertificateSelector = (_, _) => certificates.Certificate;
                endpoint.HttpsOptions.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                endpoint.HttpsOptions.CheckCertificateRevocation = false;
                endpoint.HttpsOptions.ClientCertificateValidation = (certificate, _, _) =>
                    certificates.IsIssuedByAuthority(certificate, InternalCertificates.ClientAuthentication, out _);
            }));
        return builder;
    }
}

/// <summary>Says at start, in words, what is missing from <see cref="InternalTlsOptions"/>.</summary>
internal sealed class InternalTlsOptionsValidator : IValidateOptions<InternalTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, InternalTlsOptions options)
    {
        var failures = new List<string>();
        Check(options.CertificatePath, "CertificatePath", "this service's certificate (PEM)", failures);
        Check(options.KeyPath, "KeyPath", "its private key (PEM)", failures);
        Check(options.CaPath, "CaPath", "the platform CA certificate (PEM)", failures);
        if (failures.Count == 0)
        {
            // Load them once here so that a key of another certificate, or a certificate of another CA, stops the
            // start instead of the first call.
            try
            {
                using var certificates = new InternalCertificates(options.CertificatePath, options.KeyPath, options.CaPath);
            }
            catch (Exception exception) when (exception is CryptographicException or InvalidOperationException or ArgumentException)
            {
                failures.Add($"{InternalTlsOptions.Section}: {exception.Message}");
            }
        }

        if (failures.Count > 0)
        {
            failures.Add("Internal gRPC calls are authenticated by mutual TLS and no caller is trusted for its address: " +
                "deploy/local/pki.sh makes a local CA and certificates in .data/pki; the Helm chart mounts them from cert-manager or a Secret");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string path, string key, string what, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            failures.Add($"{InternalTlsOptions.Section}:{key} ({what}) is not set");
        }
        else if (!File.Exists(path))
        {
            failures.Add($"{InternalTlsOptions.Section}:{key}: {path} does not exist");
        }
    }
}
