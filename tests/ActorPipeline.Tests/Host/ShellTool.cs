using System.Diagnostics;

namespace ActorPipeline.Tests.Host;

/// <summary>Runs a command-line tool (grep, wc, sha256sum, …) whose answer a host job must agree with.</summary>
internal static class ShellTool
{
    public static async Task<(int Exit, string Out)> RunAsync(string command, string? workingDirectory = null, string? input = null)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = input is not null,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        // Byte-for-byte UTF-8 behaviour whatever the machine's locale.
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TestSources.Hang);
        await process.WaitForExitAsync().WaitAsync(TestSources.Hang);
        return (process.ExitCode, output);
    }

    /// <summary>A shell word holding <paramref name="text"/> literally.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";
}
