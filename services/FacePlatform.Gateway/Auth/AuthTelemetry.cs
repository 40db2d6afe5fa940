using System.Diagnostics.Metrics;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// Metrics of key checks: how many went to identity (by answer) and how many were refused before it (by reason), so
/// that the cost of failed authentication can be watched and tested.
/// </summary>
internal sealed class AuthTelemetry : IDisposable
{
    public const string MeterName = "FacePlatform.Gateway.Auth";

    /// <summary>Identity's answer to a key look-up: valid, unknown (namespaced per OpenTelemetry's attribute rules).</summary>
    public const string ResultAttribute = "faceplatform.auth.result";

    /// <summary>Why a request was refused before a look-up: malformed, unknown_cached, rate_limited.</summary>
    public const string ReasonAttribute = "faceplatform.auth.reason";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _refused;

    public AuthTelemetry()
    {
        _lookups = _meter.CreateCounter<long>("faceplatform.auth.key_lookups", unit: "{lookup}",
            description: "API keys looked up in identity, by answer: valid or unknown");
        _refused = _meter.CreateCounter<long>("faceplatform.auth.refused", unit: "{request}",
            description: "Requests refused without an identity look-up, by reason: malformed, unknown_cached, rate_limited");
    }

    public void LookedUp(bool valid) => _lookups.Add(1, new KeyValuePair<string, object?>(ResultAttribute, valid ? "valid" : "unknown"));

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>(ReasonAttribute, reason));

    public void Dispose() => _meter.Dispose();
}
