using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FacePlatform.Testing;

/// <summary>
/// A PostgreSQL server of one test (or one fixture), in a temporary folder on a free port, so the test may kill and restart it without
/// disturbing the shared servers other tests use. Needs the PostgreSQL 15 server binaries and pgvector installed
/// (deploy/local/infra.sh installs both); PostgreSQL refuses to run as root, so as root it runs as user postgres.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string Binaries = "/usr/lib/postgresql/15/bin";
    private readonly string _folder;

    private ThrowawayPostgres(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A database with pgvector on this server; a short connect timeout so a stopped server fails fast.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=identity;Timeout=3;Command Timeout=10";

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("fp-pg-").FullName;
        var server = new ThrowawayPostgres(folder, Processes.FreePort());
        try
        {
            if (Processes.IsRoot)
            {
                await Processes.RunAsync("chown", "postgres:postgres", folder);
            }

            await AsServerUserAsync($"{Binaries}/initdb -D {folder}/data -U postgres --auth=trust -E UTF8 --no-sync");
            await server.StartAgainAsync();
            await using (var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=postgres;Database=postgres"))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE DATABASE identity", connection);
                await create.ExecuteNonQueryAsync();
            }

            await using (var connection = new NpgsqlConnection(server.ConnectionString))
            {
                await connection.OpenAsync();
                await using var extension = new NpgsqlCommand("CREATE EXTENSION vector", connection);
                await extension.ExecuteNonQueryAsync();
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// A hot-standby streaming replica of this server on a port of its own: <c>pg_basebackup -R</c> (base backup,
    /// WAL streamed during it, <c>standby.signal</c> and <c>primary_conninfo</c> written) into a temporary folder, then
    /// started. Reads on it see what the primary has committed once replayed; writes are refused.
    /// </summary>
    public async Task<ThrowawayPostgres> StartReplicaAsync()
    {
        var folder = Directory.CreateTempSubdirectory("fp-pg-replica-").FullName;
        var replica = new ThrowawayPostgres(folder, Processes.FreePort());
        try
        {
            if (Processes.IsRoot)
            {
                await Processes.RunAsync("chown", "postgres:postgres", folder);
            }

            await AsServerUserAsync($"{Binaries}/pg_basebackup -h 127.0.0.1 -p {Port} -U postgres -D {folder}/data -R -X stream --no-sync");
            await replica.StartAgainAsync();
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }

        return replica;
    }

    /// <summary>Kills the server the way a crash would (no checkpoint): only what was committed to the WAL survives.</summary>
    public Task CrashAsync() => AsServerUserAsync($"{Binaries}/pg_ctl -D {_folder}/data -m immediate -w stop");

    public Task StartAgainAsync() => AsServerUserAsync(
        $"{Binaries}/pg_ctl -D {_folder}/data -l {_folder}/server.log -w -t 60 " +
        $"-o \"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=32MB\" start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CrashAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static Task AsServerUserAsync(string command) => Processes.IsRoot
        ? Processes.RunAsync("runuser", "-u", "postgres", "--", "sh", "-c", command)
        : Processes.RunAsync("sh", "-c", command);
}

/// <summary>A Redis server of one test or fixture (no persistence), so the test may stop it mid-way.</summary>
public sealed class ThrowawayRedis : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fp-redis-").FullName;

    public int Port { get; } = Processes.FreePort();

    public string Configuration => $"127.0.0.1:{Port},connectTimeout=500";

    public static async Task<ThrowawayRedis> StartAsync()
    {
        var redis = new ThrowawayRedis();
        await redis.StartAgainAsync();
        return redis;
    }

    public async Task StartAgainAsync()
    {
        await Processes.RunAsync("redis-server", "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "yes", "--dir", _folder, "--pidfile", $"{_folder}/redis.pid");
        // Daemonised: wait until it accepts connections.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"redis-server did not listen on port {Port}");
    }

    public async Task StopAsync()
    {
        var pidFile = Path.Combine(_folder, "redis.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        using var process = Process.GetProcessById(int.Parse(await File.ReadAllTextAsync(pidFile), System.Globalization.CultureInfo.InvariantCulture));
        process.Kill();
        await process.WaitForExitAsync();
        File.Delete(pidFile);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Running the server binaries, and a free loopback port for each server.</summary>
public static class Processes
{
    public static bool IsRoot { get; } = Environment.UserName == "root";

    /// <summary>
    /// A loopback port nothing listens on, chosen below Linux's ephemeral range (32768–60999). A port from that range
    /// (what binding port 0 gives) can be taken, between this check and the server's own bind, by one of the many
    /// outgoing connections of the test projects running beside it: a gateway of the reliability suite once failed to
    /// start with "address already in use" on such a port.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("no free loopback port was found in 20000-31999");
    }

    public static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
