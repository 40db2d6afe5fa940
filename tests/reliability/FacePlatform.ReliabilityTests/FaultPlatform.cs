namespace FacePlatform.ReliabilityTests;

/// <summary>
/// The whole platform on a PostgreSQL and a Redis of its own (<see cref="ThrowawayPostgres"/>, <see cref="ThrowawayRedis"/>),
/// so the fault test may crash and restart them without disturbing the shared servers other test projects use at the
/// same time. Everything else is <see cref="PlatformFixture"/>: the same services, settings and bootstrap key.
/// </summary>
public sealed class FaultPlatform : PlatformFixture
{
    /// <summary>The platform's own PostgreSQL server.</summary>
    public ThrowawayPostgres Postgres { get; private set; } = null!;

    /// <summary>The platform's own Redis server.</summary>
    public ThrowawayRedis RedisServer { get; private set; } = null!;

    /// <summary>The embedding service's process.</summary>
    public ServiceProcess Embedding => Services.Single(s => s.Name == "Embedding");

    public override async Task InitializeAsync()
    {
        Postgres = await ThrowawayPostgres.StartAsync();
        RedisServer = await ThrowawayRedis.StartAsync();
        try
        {
            await base.InitializeAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (RedisServer is not null)
            {
                await RedisServer.DisposeAsync();
            }

            if (Postgres is not null)
            {
                await Postgres.DisposeAsync();
            }
        }
    }

    protected override Task<Servers> GetServersAsync() =>
        Task.FromResult(new Servers(Postgres.ConnectionString, RedisServer.Configuration, "throwaway servers of the fault test"));
}
