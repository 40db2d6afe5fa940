using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Gateway.Auth;

/// <summary>Settings of API key authentication (section <c>Auth</c>).</summary>
internal sealed class ApiKeyAuthOptions
{
    public const string Section = "Auth";

    /// <summary>How long a key check is cached (a revoked key keeps working at most this long); 0 asks identity every time.</summary>
    [Range(0, 3600)]
    public int KeyCacheSeconds { get; set; } = 10;

    /// <summary>
    /// How long an unknown key is remembered as unknown, so that repeating it costs no identity look-up. Keys are
    /// random 256-bit secrets, so remembering a miss cannot hide a key made later; 0 turns it off.
    /// </summary>
    [Range(0, 300)]
    public int UnknownKeyCacheSeconds { get; set; } = 5;
}

/// <summary>What an API key can look like, checked before anyone is asked about it.</summary>
internal static class ApiKeyShape
{
    /// <summary>Keys made by identity are 46 characters; operators' bootstrap keys may be longer, never this long.</summary>
    public const int MaxLength = 200;

    /// <summary>Shorter than this cannot be a secret worth looking up.</summary>
    public const int MinLength = 16;

    /// <summary>
    /// Whether <paramref name="key"/> could be a key at all: <see cref="MinLength"/>–<see cref="MaxLength"/> visible
    /// ASCII characters. Anything else is refused without an identity look-up.
    /// </summary>
    public static bool IsPlausible(string key) =>
        key.Length is >= MinLength and <= MaxLength && key.All(c => c is > ' ' and <= '~');
}
