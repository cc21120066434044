using System.Collections.Concurrent;
using Akka.Configuration;
using CsCheck;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Random schedules: any producers, consumers, buffer, credit, chunk, input sizes, delays and failures.</summary>
/// <remarks>
/// 200 cases by default; set ACTOR_PIPELINE_PROPERTY_CASES for more (e.g. 5000 for a long run). A failing case is
/// reported with its CsCheck seed, which replays it: pass it as ACTOR_PIPELINE_PROPERTY_SEED.
/// </remarks>
public sealed class PipelinePropertySpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private static readonly long Cases = long.TryParse(Environment.GetEnvironmentVariable("ACTOR_PIPELINE_PROPERTY_CASES"), out var n) ? n : 200;
    private static readonly string? Seed = Environment.GetEnvironmentVariable("ACTOR_PIPELINE_PROPERTY_SEED");

    public sealed record Case(
        int Consumers, int Buffer, int Credit, int Chunk, int[] ItemsPerProducer,
        bool AsyncHandler, int FailEvery, int FlakyEvery, int Retries)
    {
        public int Producers => ItemsPerProducer.Length;

        public long Items => ItemsPerProducer.Sum(n => (long)n);

        // Items are numbered producer * 1000 + index; whether one fails depends on its number only.
        public bool AlwaysFails(int item) => FailEvery > 0 && item % FailEvery == 0;

        public bool FailsFirstTry(int item) => FlakyEvery > 0 && item % FlakyEvery == 1;

        public override string ToString() =>
            $"P={Producers} C={Consumers} B={Buffer} credit={Credit} chunk={Chunk} items=[{string.Join(',', ItemsPerProducer)}] " +
            $"async={AsyncHandler} failEvery={FailEvery} flakyEvery={FlakyEvery} retries={Retries}";
    }

    private static readonly Gen<Case> Cases_ =
        from consumers in Gen.Int[1, 8]
        from buffer in Gen.Int[1, 64]
        from credit in Gen.Int[1, 32]
        from chunk in Gen.Int[1, 32]
        from items in Gen.Int[0, 500].Array[0, 16]
        from asyncHandler in Gen.Bool
        from failEvery in Gen.Int[0, 7]
        from flakyEvery in Gen.Int[0, 7]
        from retries in Gen.Int[0, 2]
        select new Case(consumers, buffer, credit, chunk, items, asyncHandler, failEvery, flakyEvery, retries);

    private int _run;

    [Fact]
    public async Task Every_schedule_accounts_for_every_item_within_the_bound_and_completes()
    {
        await Cases_.SampleAsync(RunCaseAsync, seed: Seed, iter: Cases, threads: 1, print: c => c.ToString());
    }

    private async Task RunCaseAsync(Case c)
    {
        long emitted = 0, finished = 0, peak = 0;
        var attempts = new ConcurrentDictionary<int, int>();
        var firstTries = new ConcurrentQueue<int>();
        var ordered = c.Consumers == 1;

        void Emitted(int _)
        {
            var inFlight = Interlocked.Increment(ref emitted) - Interlocked.Read(ref finished);
            long seen;
            while (inFlight > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, inFlight, seen) != seen)
            {
            }
        }

        void Handle(int item)
        {
            var attempt = attempts.AddOrUpdate(item, 1, (_, a) => a + 1);
            if (attempt == 1)
                firstTries.Enqueue(item);
            var fails = c.AlwaysFails(item) || (attempt == 1 && c.FailsFirstTry(item));
            if (!fails || attempt == c.Retries + 1)
                Interlocked.Increment(ref finished);
            if (fails)
                throw new InvalidOperationException($"item {item} attempt {attempt}");
        }

        var builder = Pipeline.Create<int>(Sys, $"case-{_run++}")
            .WithSettings(s => s.WithConsumers(c.Consumers).WithBufferSize(c.Buffer).WithProducerCredit(c.Credit)
                .WithChunkSize(c.Chunk).WithMaxRetries(c.Retries).WithParallelism(ordered ? 1 : null));
        builder = c.AsyncHandler
            ? builder.WithHandler(async (item, _) =>
            {
                await Task.Yield();
                Handle(item);
            })
            : builder.WithHandler(Handle);
        for (var p = 0; p < c.Producers; p++)
        {
            var start = p * 1000;
            var count = c.ItemsPerProducer[p];
            builder.WithSource($"p{p}", ct => TestSources.Range(start, count, Emitted, ct));
        }

        var pipeline = builder.Start();
        var samples = await StatusSamples.TakeAsync(pipeline).WaitAsync(TestSources.Hang);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        var expectedFailed = Enumerable.Range(0, c.Producers)
            .SelectMany(p => Enumerable.Range(p * 1000, c.ItemsPerProducer[p]))
            .Count(item => c.AlwaysFails(item) || (c.Retries == 0 && c.FailsFirstTry(item)));
        Assert.Equal(c.Items, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.Equal(expectedFailed, report.Failed);
        Assert.Equal(c.ItemsPerProducer.Select(n => (long)n), report.Producers.Select(p => p.Produced));
        Assert.InRange(Interlocked.Read(ref peak), 0, pipeline.Capacity);

        // Every status seen while it ran holds the same promises as the report, and no count ever went back.
        StatusSamples.AssertEachHolds(samples, pipeline.Capacity);
        Assert.All(samples, s => Assert.InRange(s.Produced, 0, c.Items));
        if (ordered)
        {
            // One consumer taking one chunk at a time sees the queue's order: each producer's items in sequence.
            var seen = firstTries.ToArray();
            for (var p = 0; p < c.Producers; p++)
                Assert.Equal(Enumerable.Range(p * 1000, c.ItemsPerProducer[p]), seen.Where(i => i / 1000 == p));
        }
    }
}
