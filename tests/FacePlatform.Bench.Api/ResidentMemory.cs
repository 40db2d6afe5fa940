using System.Globalization;

/// <summary>
/// Resident memory of the platform's processes from <c>/proc/PID/status</c>: the pids come from the pid files
/// <c>deploy/local/up.sh</c> writes (<c>DATA_DIR/run/NAME.pid</c>) or from <c>--pids name=pid,…</c>.
/// </summary>
internal static class ResidentMemory
{
    /// <summary>Name and pid of each process to watch, in name order.</summary>
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

    /// <summary>A field of <c>/proc/PID/status</c> in kB (<c>VmRSS</c> now, <c>VmHWM</c> peak); null when the process is gone.</summary>
    public static long? Kilobytes(int pid, string field)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var line = lines.FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
