using System.CommandLine;
using FacePlatform.Client;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>--url</c> and <c>--key</c> of the commands that work against a running platform (environment
/// FACEPLATFORM_URL / FACEPLATFORM_API_KEY otherwise), and the REST client they make.
/// </summary>
internal sealed class PlatformConnection
{
    public Option<string> Url { get; } = new("--url")
    {
        Description = $"The gateway's REST address (default ${FacePlatformClientOptions.UrlVariable}, else http://localhost:8080)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(FacePlatformClientOptions.UrlVariable) is { Length: > 0 } url ? url : "http://localhost:8080",
    };

    public Option<string> Key { get; } = new("--key")
    {
        Description = $"API key (default ${FacePlatformClientOptions.ApiKeyVariable})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(FacePlatformClientOptions.ApiKeyVariable) ?? string.Empty,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds one call may take, its retries included",
        DefaultValueFactory = _ => 60,
    };

    /// <summary>Adds the options to <paramref name="command"/> (each command lists them in its own help).</summary>
    public T AddTo<T>(T command)
        where T : Command
    {
        command.Options.Add(Url);
        command.Options.Add(Key);
        command.Options.Add(Timeout);
        return command;
    }

    /// <summary>The REST client of the parsed options, or null with the reason written when they are unusable.</summary>
    public FacePlatformRestClient? Connect(ParseResult parse)
    {
        var key = parse.GetValue(Key);
        if (string.IsNullOrWhiteSpace(key))
        {
            Console.Error.WriteLine($"[facectl] no API key: pass --key or set {FacePlatformClientOptions.ApiKeyVariable}");
            return null;
        }

        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"[facectl] --url must be an http:// or https:// address, not '{parse.GetValue(Url)}'");
            return null;
        }

        return new FacePlatformRestClient(new FacePlatformClientOptions
        {
            RestAddress = url,
            ApiKey = key,
            Timeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(Timeout))),
        });
    }

    /// <summary>Runs <paramref name="work"/> with a client; a refusal or an unreachable platform is one line on stderr and exit code 1.</summary>
    public async Task<int> RunAsync(ParseResult parse, Func<FacePlatformRestClient, Task<int>> work)
    {
        using var client = Connect(parse);
        if (client is null)
        {
            return 2;
        }

        try
        {
            return await work(client);
        }
        catch (FacePlatformApiException refused)
        {
            Console.Error.WriteLine($"[facectl] {refused.Message}");
            return 1;
        }
        catch (Exception failed) when (failed is HttpRequestException or TimeoutException)
        {
            Console.Error.WriteLine($"[facectl] {parse.GetValue(Url)}: {failed.Message}");
            return 1;
        }
    }
}
