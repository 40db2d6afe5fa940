namespace FacePlatform.ServiceDefaults.Health;

/// <summary>
/// <c>dotnet FacePlatform.&lt;Service&gt;.dll --probe http://127.0.0.1:PORT/readyz</c>: one GET, exit code 0 on a 2xx
/// answer and 1 otherwise, without starting the service. The container health check of images that have no shell
/// and no curl (the chiseled runtime images; compose.yaml uses it). Kubernetes does not need it: the kubelet probes
/// the HTTP port itself.
/// </summary>
public static class HealthProbe
{
    /// <summary>The command-line switch, followed by the URL to probe.</summary>
    public const string Switch = "--probe";

    /// <summary>Whether <paramref name="args"/> ask for a probe instead of the service.</summary>
    public static bool IsRequested(string[] args) =>
        args is [Switch, _] && Uri.TryCreate(args[1], UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp;

    /// <summary>Probes the URL in <paramref name="args"/> (see <see cref="IsRequested"/>); the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        // Shorter than any sensible health-check timeout (compose.yaml: 5 s), so the probe says why it failed.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
        try
        {
            using var answer = await http.GetAsync(new Uri(args[1]));
            var body = await answer.Content.ReadAsStringAsync();
            await Console.Out.WriteLineAsync($"{(int)answer.StatusCode} {body[..Math.Min(body.Length, 500)]}");
            return answer.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"{args[1]}: {exception.Message}");
            return 1;
        }
    }
}
