using System.Globalization;

namespace FacePlatform.Testing;

/// <summary>Resident memory of a process as Linux reports it in <c>/proc/&lt;pid&gt;/status</c>.</summary>
public static class ResidentMemory
{
    /// <summary>VmRSS of <paramref name="processId"/> in MiB, or null when the process is gone or /proc is absent.</summary>
    public static double? MegabytesOf(int? processId)
    {
        if (processId is not { } pid)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kilobytes = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    return kilobytes / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
