using System.Globalization;

namespace FacePlatform.Testing;

/// <summary>
/// Memory of the platform's processes as Linux reports it in <c>/proc/&lt;pid&gt;/status</c>, for the reliability
/// tests and the benches; the pids come from a running process, from the pid files <c>deploy/local/up.sh</c> writes
/// (<c>DATA_DIR/run/NAME.pid</c>) or from <c>name=pid,…</c>.
/// </summary>
public static class ResidentMemory
{
    /// <summary>VmRSS of <paramref name="processId"/> in MiB, or null when the process is gone or /proc is absent.</summary>
    public static double? MegabytesOf(int? processId) =>
        processId is { } pid && Kilobytes(pid, "VmRSS") is { } kilobytes ? kilobytes / 1024.0 : null;

    /// <summary>A field of <c>/proc/PID/status</c> in kB (<c>VmRSS</c> now, <c>VmHWM</c> peak); null when the process is gone.</summary>
    public static long? Kilobytes(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Name and pid of each process to watch, in name order: from <paramref name="pids"/> (<c>name=pid,…</c>) or the pid files.</summary>
    public static IReadOnlyList<(string Name, int Pid)> Processes(string dataDir, string? pids)
    {
        if (pids is not null)
        {
            return [.. pids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pair => pair.Split('='))
                .Select(parts => (parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture)))
                .OrderBy(p => p.Item1, StringComparer.Ordinal)];
        }

        var run = Path.Combine(dataDir, "run");
        return !Directory.Exists(run)
            ? []
            : [.. Directory.EnumerateFiles(run, "*.pid").Order(StringComparer.Ordinal)
                .Select(file => (Path.GetFileNameWithoutExtension(file), int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture)))];
    }
}
