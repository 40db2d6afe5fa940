namespace FacePlatform.ServiceDefaults.Caching;

/// <summary>
/// The Redis keys of the platform's cached answers, in one place because two services write them and identity deletes
/// them all: a change of a collection deletes its answers and the gateway's analyses that searched it (a deleted
/// person's name leaves Redis with the commit), and a tenant's deletion deletes every key of the tenant. Keys of one
/// collection share the hash tag <c>{collection}</c>, so Lua scripts may touch them together on a Redis Cluster slot.
/// </summary>
public static class CacheKeys
{
    /// <summary>Identity's search and subject answers of a collection (a hash; fields start with the version).</summary>
    public static string CollectionAnswers(Guid collection) => $"fp:identity:{{{collection:N}}}:answers";

    /// <summary>The newest version of a collection Redis has seen; answers of older versions are not stored.</summary>
    public static string CollectionVersion(Guid collection) => $"fp:identity:{{{collection:N}}}:version";

    /// <summary>The gateway's analyses that searched a collection (a hash: image hash + options → answer).</summary>
    public static string CollectionAnalyses(Guid collection) => $"fp:analyze:{{{collection:N}}}:answers";

    /// <summary>The gateway's analysis of a photo without a collection search, under its tenant's prefix.</summary>
    public static string TenantAnalysis(Guid tenant, string imageAndOptions) => $"fp:analyze:{tenant:N}:{imageAndOptions}";

    /// <summary>
    /// A SCAN pattern for every key naming the tenant (its analyses without a collection); a collection's keys are found
    /// by the collection ids, which PostgreSQL lists.
    /// </summary>
    public static string TenantPattern(Guid tenant) => $"*{tenant:N}*";
}
