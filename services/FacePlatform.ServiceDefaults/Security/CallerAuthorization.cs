using System.Security.Cryptography.X509Certificates;
using Grpc.Core;

namespace FacePlatform.ServiceDefaults.Security;

/// <summary>What <see cref="CallerAuthorization.Decide"/> found: the caller's name, or the status to refuse it with.</summary>
/// <param name="Caller">The caller's identity (its certificate's common name); empty when unknown.</param>
/// <param name="Refusal">OK when the call may go on; UNAUTHENTICATED or PERMISSION_DENIED otherwise.</param>
/// <param name="Message">Why, when refused.</param>
public readonly record struct CallerDecision(string Caller, StatusCode Refusal, string Message)
{
    /// <summary>True when the call may go on.</summary>
    public bool IsAllowed => Refusal == StatusCode.OK;
}

/// <summary>
/// The rule every internal gRPC call passes, in one place: the caller presented a client certificate, the
/// certificate was issued by the platform CA for client authentication, and its common name is one of the callers
/// this service accepts. No caller is trusted for its address.
/// </summary>
/// <param name="certificates">The platform CA (and this service's own certificate).</param>
/// <param name="service">This service's name, for messages.</param>
/// <param name="allowedCallers">Common names that may call this service.</param>
public sealed class CallerAuthorization(InternalCertificates certificates, string service, IReadOnlyCollection<string> allowedCallers)
{
    /// <summary>The callers this service accepts.</summary>
    public IReadOnlyCollection<string> AllowedCallers { get; } = allowedCallers;

    /// <summary>Decides on a call that came with <paramref name="clientCertificate"/> (null: none).</summary>
    /// <param name="clientCertificate">The connection's client certificate.</param>
    public CallerDecision Decide(X509Certificate2? clientCertificate)
    {
        if (clientCertificate is null)
        {
            return new(string.Empty, StatusCode.Unauthenticated,
                $"{service} accepts internal calls only over mutual TLS with a client certificate issued by the platform CA; the call presented none");
        }

        var caller = InternalCertificates.CommonName(clientCertificate);
        if (!certificates.IsIssuedByAuthority(clientCertificate, InternalCertificates.ClientAuthentication, out var reason))
        {
            return new(caller, StatusCode.Unauthenticated,
                $"{service} refused the client certificate '{clientCertificate.Subject}': it is not a client certificate of the platform CA ({reason})");
        }

        if (!AllowedCallers.Contains(caller, StringComparer.Ordinal))
        {
            return new(caller, StatusCode.PermissionDenied,
                $"'{caller}' may not call {service}; only {string.Join(", ", AllowedCallers)} may");
        }

        return new(caller, StatusCode.OK, string.Empty);
    }
}
