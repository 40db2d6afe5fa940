using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.ServiceDefaults.Caching;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FacePlatform.Identity.Caching;

/// <summary>
/// Hot answers of one collection in Redis: search answers (by collection version + query hash) and subjects. Each
/// collection has one hash <c>fp:identity:{c}:answers</c> whose fields start with the collection version, and a key
/// <c>fp:identity:{c}:version</c> with the newest version Redis has seen (<see cref="CacheKeys"/>). Every mutation
/// raises the version and deletes the hash and the gateway's analyses that searched the collection — so a deleted
/// subject's name leaves Redis with the commit, not at expiry — and an answer computed from an older snapshot is never
/// stored after that (the store scripts here and in the gateway compare versions atomically). A tenant's deletion
/// deletes every key of the tenant. Redis is never the source of truth: when it is unusable every call is a bypass and
/// the caller asks PostgreSQL.
/// </summary>
internal sealed partial class GalleryCache(
    IConnectionMultiplexer redis,
    IdentityTelemetry telemetry,
    IOptions<IdentityOptions> options,
    ILogger<GalleryCache> logger) : Galleries.ISearchAnswers
{
    public const string SearchKind = "search";
    public const string SubjectKind = "subject";

    // An answer computed from an older version than Redis knows is dropped; a newer one purges the older answers.
    private static readonly LuaScript StoreScript = LuaScript.Prepare("""
        local known = tonumber(redis.call('GET', @versionKey) or '0')
        local version = tonumber(@version)
        if known > version then return 0 end
        if known < version then
          redis.call('SET', @versionKey, @version, 'EX', @seconds)
          redis.call('DEL', @answersKey)
        end
        redis.call('HSET', @answersKey, @field, @value)
        redis.call('EXPIRE', @answersKey, @seconds)
        return 1
        """);

    private static readonly LuaScript InvalidateScript = LuaScript.Prepare("""
        local known = tonumber(redis.call('GET', @versionKey) or '0')
        if known < tonumber(@version) then redis.call('SET', @versionKey, @version, 'EX', @seconds) end
        return redis.call('DEL', @answersKey, @analysesKey)
        """);

    /// <summary>Whether Redis is connected (otherwise every look-up is a bypass).</summary>
    public bool Usable => redis.IsConnected;

    public Task<SearchResponse?> GetSearchAsync(Guid collection, long version, string queryHash) =>
        GetAsync(SearchKind, collection, $"s:{version}:{queryHash}", SearchResponse.Parser);

    public void StoreSearch(Guid collection, long version, string queryHash, SearchResponse answer) =>
        Store(collection, version, $"s:{version}:{queryHash}", answer);

    public Task<Subject?> GetSubjectAsync(Guid collection, long version, Guid subject) =>
        GetAsync(SubjectKind, collection, $"p:{version}:{subject:N}", Subject.Parser);

    public void StoreSubject(Guid collection, long version, Subject subject) =>
        Store(collection, version, $"p:{version}:{Guid.Parse(subject.Id):N}", subject);

    /// <summary>Forgets every cached answer of the collection; call after the commit that raised its version.</summary>
    public async Task InvalidateAsync(Guid collection, long newVersion)
    {
        if (!redis.IsConnected)
        {
            // Answers of older versions are never read (fields carry the version) and expire after CacheSeconds.
            LogInvalidationSkipped(logger, collection);
            return;
        }

        try
        {
            await InvalidateScript.EvaluateAsync(redis.GetDatabase(), new
            {
                versionKey = VersionKey(collection),
                answersKey = AnswersKey(collection),
                analysesKey = (RedisKey)CacheKeys.CollectionAnalyses(collection),
                version = newVersion,
                seconds = options.Value.CacheSeconds,
            });
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, "invalidate", exception.Message);
        }
    }

    /// <summary>
    /// Deletes every cached answer of a deleted tenant: the keys of its <paramref name="collections"/> (answers,
    /// versions, the gateway's analyses) and every key that names the tenant (SCAN on each primary). Returns how many
    /// keys went; 0 when Redis is unreachable, and then the answers are left to expire (Identity:CacheSeconds, the
    /// gateway's Cache:AnalysisSeconds).
    /// </summary>
    public async Task<long> ForgetTenantAsync(Guid tenant, IReadOnlyCollection<Guid> collections)
    {
        if (!redis.IsConnected)
        {
            LogTenantPurgeSkipped(logger, tenant);
            return 0;
        }

        try
        {
            var database = redis.GetDatabase();
            long deleted = 0;
            foreach (var collection in collections)
            {
                // One call per collection: a multi-key DEL must stay on one cluster slot, and these share the hash tag.
                deleted += await database.KeyDeleteAsync([
                    AnswersKey(collection), VersionKey(collection), (RedisKey)CacheKeys.CollectionAnalyses(collection)]);
            }

            foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                await foreach (var key in server.KeysAsync(database.Database, CacheKeys.TenantPattern(tenant), pageSize: 1000))
                {
                    deleted += await database.KeyDeleteAsync(key) ? 1 : 0;
                }
            }

            return deleted;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, "tenant purge", exception.Message);
            return 0;
        }
    }

    private async Task<T?> GetAsync<T>(string kind, Guid collection, string field, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        if (!redis.IsConnected)
        {
            telemetry.CacheRequest(kind, CacheResult.Bypass);
            return null;
        }

        try
        {
            var value = await redis.GetDatabase().HashGetAsync(AnswersKey(collection), field);
            telemetry.CacheRequest(kind, value.HasValue ? CacheResult.Hit : CacheResult.Miss);
            return value.HasValue ? parser.ParseFrom((byte[])value!) : null;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            telemetry.CacheRequest(kind, CacheResult.Bypass);
            LogRedisFailed(logger, "read", exception.Message);
            return null;
        }
    }

    /// <summary>
    /// Queues the answer's write without waiting for Redis (fire and forget): the caller answers at once, and a later
    /// read on the same connection is queued after the write, so it still finds the answer.
    /// </summary>
    private void Store(Guid collection, long version, string field, IMessage answer)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            _ = StoreScript.EvaluateAsync(redis.GetDatabase(), new
            {
                versionKey = VersionKey(collection),
                answersKey = AnswersKey(collection),
                version,
                field,
                value = answer.ToByteArray(),
                seconds = options.Value.CacheSeconds,
            }, flags: CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, "store", exception.Message);
        }
    }

    // One hash tag per collection keeps both keys on one Redis Cluster slot, as the scripts require.
    private static RedisKey AnswersKey(Guid collection) => CacheKeys.CollectionAnswers(collection);

    private static RedisKey VersionKey(Guid collection) => CacheKeys.CollectionVersion(collection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Operation} failed; answering from PostgreSQL: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string operation, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: cached answers of deleted tenant {Tenant} are left to expire")]
    private static partial void LogTenantPurgeSkipped(ILogger logger, Guid tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: cached answers of collection {Collection} are left to expire")]
    private static partial void LogInvalidationSkipped(ILogger logger, Guid collection);
}
