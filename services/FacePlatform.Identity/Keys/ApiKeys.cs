using System.Security.Cryptography;
using System.Text;

namespace FacePlatform.Identity.Keys;

/// <summary>
/// Makes and hashes API keys. A key is "fp_" followed by 32 random bytes in base64url. Only its SHA-256 is stored:
/// with 256 bits of entropy a slow password hash adds no protection, and a plain digest keeps the look-up of a key a
/// single unique-index probe on every request.
/// </summary>
internal static class ApiKeys
{
    private const string KeyPrefix = "fp_";

    /// <summary>Characters of a key kept in clear to recognise it in listings.</summary>
    public const int VisiblePrefixLength = 10;

    /// <summary>
    /// How stale a key's last-used time may get: authentication writes it only when it is older than this, so a busy
    /// key costs one UPDATE a minute, not one per request (the gateway caches answers for Auth:KeyCacheSeconds too).
    /// </summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>A new random key.</summary>
    public static string NewKey()
    {
        Span<byte> secret = stackalloc byte[32];
        RandomNumberGenerator.Fill(secret);
        return KeyPrefix + Convert.ToBase64String(secret).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The stored digest of <paramref name="key"/>.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The part of <paramref name="key"/> shown in listings.</summary>
    public static string VisiblePrefix(string key) => key.Length <= VisiblePrefixLength ? key : key[..VisiblePrefixLength];
}
