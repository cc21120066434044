namespace ActorPipeline.Benchmarks;

/// <summary>Two runs compared as the side-by-side modes compare them: alternately, five of each after one of each (a tenth
/// of the items) to warm up, and the ratio of the medians printed with each pair's.</summary>
internal static class Alternating
{
    /// <summary>Prints <paramref name="label"/>'s ratio; false when a run returned 0 (it lost or doubled an item).</summary>
    public static async Task<bool> CompareAsync(string label, long items, Func<long, Task<double>> first, Func<long, Task<double>> second, int labelWidth = 18)
    {
        await first(items / 10);
        await second(items / 10);
        var a = new List<double>();
        var b = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            a.Add(await first(items));
            b.Add(await second(items));
        }

        Console.WriteLine($"  {label.PadRight(labelWidth)} {Median(a):N0} ÷ {Median(b):N0} items/s: {Median(a) / Median(b):0.00}× " +
            $"(runs: {string.Join(", ", a.Zip(b, (x, y) => (x / y).ToString("0.00")))})");
        return a.Concat(b).All(rate => rate > 0);
    }

    /// <summary>The middle value (the upper one of an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
