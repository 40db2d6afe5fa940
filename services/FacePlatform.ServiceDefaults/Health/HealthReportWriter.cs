using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FacePlatform.ServiceDefaults.Health;

/// <summary>Writes a health report as JSON: the overall status and each check with its description.</summary>
public static class HealthReportWriter
{
    /// <summary>Writes <paramref name="report"/> to the response body.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report) => WriteAsync(context, report, dependencies: null);

    /// <summary>
    /// Writes <paramref name="report"/> (what decides readiness) and then, under <c>dependencies</c>, the checks of
    /// the services this one calls, run now. Their status only informs: the HTTP status was set from
    /// <paramref name="report"/> alone (see <see cref="DependencyHealth"/>).
    /// </summary>
    public static async Task WriteWithDependenciesAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dependencies = await context.RequestServices.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(DependencyHealth.IsDependency, context.RequestAborted);
        context.RequestServices.GetRequiredService<DependencyHealth>().Record(dependencies);
        await WriteAsync(context, report, dependencies.Entries.Count == 0 ? null : dependencies);
    }

    private static async Task WriteAsync(HttpContext context, HealthReport report, HealthReport? dependencies)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        WriteEntries(writer, "checks", report);
        if (dependencies is not null)
        {
            WriteEntries(writer, "dependencies", dependencies);
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static void WriteEntries(Utf8JsonWriter writer, string property, HealthReport report)
    {
        writer.WriteStartObject(property);
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description)
            {
                writer.WriteString("description", description);
            }

            writer.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
