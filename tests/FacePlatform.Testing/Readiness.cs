namespace FacePlatform.Testing;

/// <summary>Waiting for a service under test to become ready.</summary>
public static class Readiness
{
    /// <summary>Polls <c>/readyz</c> of <paramref name="http"/> until it answers 200; fails with the last answer.</summary>
    public static async Task WaitAsync(HttpClient http, string name, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(http);
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            using var answer = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            if (answer.IsSuccessStatusCode)
            {
                return;
            }

            last = await answer.Content.ReadAsStringAsync();
            await Task.Delay(250);
        }

        throw new TimeoutException($"{name} did not become ready within {timeout.TotalSeconds:F0} s: {last}");
    }
}
