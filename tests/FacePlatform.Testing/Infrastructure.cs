using DotNet.Testcontainers.Builders;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace FacePlatform.Testing;

/// <summary>
/// The real PostgreSQL (with pgvector) and Redis the tests talk to. Where a Docker engine is reachable they are
/// throwaway Testcontainers; otherwise they are the servers <c>deploy/local/infra.sh</c> started, named by
/// <c>FACEPLATFORM_POSTGRES</c> and <c>FACEPLATFORM_REDIS</c> (tests/run.sh sets both). With neither, every test that
/// needs them fails with a message saying how to start them: nothing is skipped.
/// </summary>
public static class Infrastructure
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Servers? _servers;

    /// <summary>Connection settings of the servers, started on first use and shared by the test run.</summary>
    public static async Task<Servers> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _servers ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<Servers> StartAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("FACEPLATFORM_POSTGRES");
        var redis = Environment.GetEnvironmentVariable("FACEPLATFORM_REDIS");
        if (string.IsNullOrEmpty(postgres) || string.IsNullOrEmpty(redis))
        {
            var containers = await TryContainersAsync();
            if (containers is not null)
            {
                return containers;
            }

            throw new InvalidOperationException(
                "No PostgreSQL/Redis for the tests: no Docker engine is reachable and FACEPLATFORM_POSTGRES / " +
                "FACEPLATFORM_REDIS are not set. Run the tests with tests/run.sh, or start the servers with " +
                "deploy/local/infra.sh start and eval \"$(deploy/local/infra.sh env)\".");
        }

        await using (var connection = new NpgsqlConnection(postgres))
        {
            try
            {
                await connection.OpenAsync();
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL named by FACEPLATFORM_POSTGRES is not reachable ({exception.Message}); start it with deploy/local/infra.sh start",
                    exception);
            }
        }

        return new Servers(postgres, redis, "local servers (deploy/local/infra.sh)");
    }

    private static async Task<Servers?> TryContainersAsync()
    {
        PostgreSqlContainer postgres;
        RedisContainer redis;
        try
        {
            postgres = new PostgreSqlBuilder("pgvector/pgvector:0.8.0-pg17").Build();
            redis = new RedisBuilder("redis:7.4.2").Build();
        }
        catch (DockerUnavailableException)
        {
            return null;
        }

        await Task.WhenAll(postgres.StartAsync(), redis.StartAsync());
        await using (var connection = new NpgsqlConnection(postgres.GetConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new Servers(postgres.GetConnectionString(), redis.GetConnectionString(), "Testcontainers");
    }
}

/// <summary>Connection settings of the test servers.</summary>
/// <param name="Postgres">Npgsql connection string of a role that may create databases.</param>
/// <param name="Redis">StackExchange.Redis configuration.</param>
/// <param name="Origin">Where the servers come from, for the test log.</param>
public sealed record Servers(string Postgres, string Redis, string Origin)
{
    /// <summary>
    /// A new, empty database with pgvector for one fixture, so tests never see each other's rows. Returns its
    /// connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var unique = $"fp_{purpose}_{Guid.NewGuid():N}".ToLowerInvariant();
        var name = unique[..Math.Min(unique.Length, 63)];
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(Postgres) { Database = name };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var extension = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection);
            await extension.ExecuteNonQueryAsync();
        }

        return builder.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
