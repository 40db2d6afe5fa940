using System.Collections.Concurrent;
using FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// One identity look-up per key at a time: concurrent requests with the same key (a client's burst with a key the
/// gateway has not seen yet) share the first one's answer, so the burst costs identity one call and its client
/// address one charge, not one per request.
/// </summary>
internal sealed class KeyLookups
{
    private readonly ConcurrentDictionary<string, Lazy<Task<AuthenticateApiKeyResponse?>>> _running = new(StringComparer.Ordinal);

    /// <summary>The look-up of <paramref name="digest"/> already under way, if any.</summary>
    public Task<AuthenticateApiKeyResponse?>? Running(string digest) =>
        _running.TryGetValue(digest, out var flight) ? flight.Value : null;

    /// <summary>Runs <paramref name="lookUp"/> for <paramref name="digest"/>, or joins the one already running.</summary>
    public Task<AuthenticateApiKeyResponse?> Run(string digest, Func<Task<AuthenticateApiKeyResponse?>> lookUp)
    {
        Lazy<Task<AuthenticateApiKeyResponse?>>? mine = null;
        mine = new Lazy<Task<AuthenticateApiKeyResponse?>>(async () =>
        {
            try
            {
                return await lookUp();
            }
            finally
            {
                _running.TryRemove(KeyValuePair.Create(digest, mine!));
            }
        });
        return _running.GetOrAdd(digest, mine).Value;
    }
}
