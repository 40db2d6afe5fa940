using System.Diagnostics;
using Xunit;

namespace FacePlatform.Testing;

/// <summary>Runs the built <c>facectl</c> (services/FacePlatform.Cli) as a user would, for tests of the command line.</summary>
public static class Facectl
{
    /// <summary>What one run printed and how it ended.</summary>
    /// <param name="ExitCode">The process's exit code.</param>
    /// <param name="Stdout">Everything it wrote to standard output.</param>
    /// <param name="Stderr">Everything it wrote to standard error (progress, summaries, errors).</param>
    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs facectl with <paramref name="arguments"/> in <paramref name="workingDirectory"/> (default: the current one),
    /// its environment changed by <paramref name="environment"/> (a null value removes the variable), for at most three
    /// minutes. Fails the test when facectl has not been built.
    /// </summary>
    public static async Task<Run> RunAsync(
        IReadOnlyList<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var facectl = Path.Combine(RepositoryPaths.Root, "services", "FacePlatform.Cli", "bin", ServiceProcess.Configuration, "net10.0", "facectl.dll");
        Assert.True(File.Exists(facectl), $"{facectl} is missing: build the solution first (dotnet build -c {ServiceProcess.Configuration})");
        var start = new ProcessStartInfo("dotnet", [facectl, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("facectl did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs facectl like <see cref="RunAsync"/> and fails the test, with all it printed, unless it exits 0.</summary>
    public static async Task<Run> SucceedAsync(IReadOnlyList<string> arguments)
    {
        var run = await RunAsync(arguments);
        Assert.True(run.ExitCode == 0, $"facectl {string.Join(' ', arguments)} exited {run.ExitCode}: {run.Stderr}\n{run.Stdout}");
        return run;
    }
}
