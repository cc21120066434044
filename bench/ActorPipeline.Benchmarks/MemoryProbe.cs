using System.Diagnostics;
using System.Text.Json;

namespace ActorPipeline.Benchmarks;

/// <summary>Peak memory for N and 10×N items, each measured in a process of its own so the figures are clean.</summary>
internal static class MemoryProbe
{
    private sealed record Sample(long PeakWorkingSetBytes, long PeakGcHeapBytes, long Items);

    public static bool Supports(string system) => system is "ActorPipeline" or "Channel";

    public static async Task<IEnumerable<Cell>> RunAsync(IEnumerable<string> systems, long items)
    {
        var cells = new List<Cell>();
        foreach (var system in systems)
        {
            foreach (var n in new[] { items, items * 10 })
            {
                var sample = await RunChildProcessAsync(system, n);
                cells.Add(new Cell(system, "memory", 1024, "trivial", n, null, null, null,
                    sample.PeakWorkingSetBytes, sample.PeakGcHeapBytes, null, null, null));
                Console.Error.WriteLine($"  memory {system} N={n:N0}: peak working set {sample.PeakWorkingSetBytes / 1048576.0:F1} MiB, " +
                                        $"GC heap {sample.PeakGcHeapBytes / 1048576.0:F1} MiB");
            }
        }

        return cells;
    }

    /// <summary>The child's side: run the scenario once and print the peaks as JSON.</summary>
    public static async Task<int> RunChildAsync(string system, long items)
    {
        IPipelineSystem sut = system switch
        {
            "ActorPipeline" => new ActorPipelineSystem(),
            "Channel" => new ChannelSystem(),
            _ => throw new ArgumentException($"No memory probe for {system}."),
        };
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        var work = Work.Create(WorkKind.Trivial, 1, delay);
        long peakHeap = 0;
        using var sampler = new Timer(_ => Interlocked.Exchange(ref peakHeap, Math.Max(Interlocked.Read(ref peakHeap), GC.GetTotalMemory(false))),
            null, 0, 5);
        var handled = await sut.RunAsync(new Scenario(Bench.Producers, Bench.Consumers, Sizing.Defaults, 1024, work, items));
        await sut.DisposeAsync();
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(JsonSerializer.Serialize(new Sample(self.PeakWorkingSet64, peakHeap, handled)));
        return handled == items ? 0 : 1;
    }

    private static async Task<Sample> RunChildProcessAsync(string system, long items)
    {
        var output = await RunSelfAsync(["--memory-child", system, items.ToString()], $"The memory probe for {system} with {items} items");
        return JsonSerializer.Deserialize<Sample>(output.Trim().Split('\n')[^1])!;
    }

    /// <summary>Runs this benchmark again, in a process of its own, with <paramref name="args"/>; returns what it printed.</summary>
    /// <exception cref="InvalidOperationException">The process exited with an error; the message begins with <paramref name="what"/>.</exception>
    public static async Task<string> RunSelfAsync(string[] args, string what)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"{what} exited with {child.ExitCode}: {output}");
        return output;
    }
}
