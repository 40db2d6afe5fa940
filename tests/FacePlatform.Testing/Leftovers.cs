using System.Text;
using Npgsql;
using StackExchange.Redis;

namespace FacePlatform.Testing;

/// <summary>
/// Looks everywhere a deleted tenant could leave a copy: every row of every table and partition of a database (as
/// text), the names of its tables, and every key and value in Redis.
/// </summary>
public static class Leftovers
{
    /// <summary>"table: row" for each row (or table name) of the database whose text contains any of <paramref name="needles"/>.</summary>
    public static async Task<List<string>> InPostgresAsync(string connectionString, IReadOnlyCollection<string> needles)
    {
        var found = new List<string>();
        var patterns = needles.Select(n => "%" + n + "%").ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
            connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            if (patterns.Any(p => table.Contains(p.Trim('%'), StringComparison.OrdinalIgnoreCase)))
            {
                found.Add($"{table}: (the table itself)");
            }

            // ONLY: each partition is read on its own, the partitioned parent holds no rows itself.
            await using var scan = new NpgsqlCommand($"SELECT x::text FROM ONLY {table} x WHERE x::text ILIKE ANY($1)", connection);
            scan.Parameters.Add(new() { Value = patterns });
            await using var rows = await scan.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                found.Add($"{table}: {rows.GetString(0)}");
            }
        }

        return found;
    }

    /// <summary>Each Redis key whose name or value (strings, hashes, sets, lists) contains any of <paramref name="needles"/>.</summary>
    public static async Task<List<string>> InRedisAsync(string configuration, IReadOnlyCollection<string> needles)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        var database = redis.GetDatabase();
        var found = new List<string>();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 1000))
            {
                var values = await database.KeyTypeAsync(key) switch
                {
                    RedisType.String => [await database.StringGetAsync(key)],
                    RedisType.Hash => (await database.HashGetAllAsync(key)).SelectMany(e => new[] { e.Name, e.Value }).ToArray(),
                    RedisType.Set => await database.SetMembersAsync(key),
                    RedisType.List => await database.ListRangeAsync(key),
                    _ => [],
                };
                var text = key.ToString() + "\n" + string.Join("\n", values.Where(v => v.HasValue)
                    .Select(v => Encoding.UTF8.GetString((byte[])v!)));
                if (needles.FirstOrDefault(n => text.Contains(n, StringComparison.OrdinalIgnoreCase)) is { } needle)
                {
                    found.Add($"{key} (holds '{needle}')");
                }
            }
        }

        return found;
    }
}
