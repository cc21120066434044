using System.CommandLine;
using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>The console host's entry point, shared by <c>Main</c> and the specs.</summary>
internal static class HostApp
{
    /// <summary>Exit code: every item succeeded.</summary>
    public const int Success = 0;

    /// <summary>Exit code: some items failed.</summary>
    public const int ItemsFailed = 1;

    /// <summary>Exit code: bad usage or unreadable configuration.</summary>
    public const int BadUsage = 2;

    /// <summary>Exit code: the run was interrupted (Ctrl+C, or the host was asked to stop) and drained.</summary>
    public const int Interrupted = 130;

    /// <summary>Runs <paramref name="args"/> with plain writers, no live display, and no interrupts.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, HostConsole.Plain(stdout, stderr));

    /// <summary>Parses <paramref name="args"/>, runs the command on <paramref name="console"/> and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, HostConsole console)
    {
        var stderr = console.Error;
        var root = new RootCommand("ActorPipeline: a backpressured producer→consumer pipeline on Akka.NET.");
        var configFile = new Option<FileInfo?>("--config")
        {
            Description = $"A HOCON file read over {HostConfig.FileName} (its keys win).",
            Recursive = true,
        };
        root.Options.Add(configFile);
        try
        {
            // The flags' defaults come from the configuration, so the file must be read before the flags are defined.
            var config = await HostConfig.LoadAsync(root.Parse(args).GetValue(configFile));
            DemoCommand.Configure(root, config, console);
            IngestCommand.Configure(root, config, console);
            HashCommand.Configure(root, config, console);
            WorkerCommand.Configure(root, config, console);
        }
        catch (Exception e) when (e is ConfigurationException or IOException or FormatException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot use the configuration: {OneLine(e.Message)}");
            return BadUsage;
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"error: {parsed.Errors[0].Message}");
            return BadUsage;
        }

        try
        {
            // Interrupts are the jobs' own (drain, then abort), not System.CommandLine's, which would end the run
            // after a fixed timeout whatever a drain still had to finish.
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = stderr, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (ConfigurationException e)
        {
            // Settings or a deployment that only the started ActorSystem could check.
            await stderr.WriteLineAsync($"error: cannot use the configuration: {OneLine(e.Message)}");
            return BadUsage;
        }
        catch (ActorPipeline.Persistence.DurableStateException e)
        {
            // A --state that holds something else: it is left as it is, and the job does not start afresh over it.
            await stderr.WriteLineAsync($"error: cannot use the state: {OneLine(e.Message)}");
            return BadUsage;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault of the host itself, not of the input: the whole exception helps whoever fixes it.
            await stderr.WriteLineAsync($"error: the job failed unexpectedly: {e}");
            return ItemsFailed;
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
