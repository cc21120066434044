using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Handlers that return results: every item that succeeds delivers its result once, on the pipeline's actor,
/// before the pipeline completes, and a result not yet delivered holds its place in the capacity.</summary>
public sealed class PipelineResultsSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 0)]
    [InlineData(64, 2)]
    [InlineData(1000, 1)]
    public async Task Every_item_that_succeeds_delivers_its_result_once(int capacity, int maxRetries)
    {
        var results = new List<int>();
        var attempts = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var pipeline = Pipeline.Create<int>(Sys, $"results-{capacity}-{maxRetries}")
            .WithSettings(s => s.WithCapacity(capacity).WithMaxRetries(maxRetries))
            .WithSource(ct => TestSources.Range(0, 1500, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(10_000, 1500, cancellationToken: ct))
            .WithHandler(
                async (item, ct) =>
                {
                    if (item % 3 == 0)
                        await Task.Yield();
                    // Every tenth item always fails; every seventh fails once, and succeeds on a retry when one is allowed.
                    if (item % 10 == 0 || (item % 7 == 0 && attempts.AddOrUpdate(item, 1, (_, n) => n + 1) == 1))
                        throw new InvalidOperationException($"item {item}");
                    return item * 2;
                },
                results.Add)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        var items = Enumerable.Range(0, 1500).Concat(Enumerable.Range(10_000, 1500)).ToArray();
        var succeeded = items.Where(i => i % 10 != 0 && (maxRetries > 0 || i % 7 != 0)).ToArray();
        Assert.Equal(items.Length, report.Produced);
        Assert.Equal(succeeded.Length, report.Succeeded);
        var expected = succeeded.Select(i => i * 2).ToArray();
        Assert.True(expected.Order().SequenceEqual(results.Order()),
            $"missing: {string.Join(",", expected.Except(results).Take(20))}; extra: {string.Join(",", results.Except(expected).Take(20))}; counts {expected.Length} vs {results.Count}");
    }

    [Fact]
    public async Task A_handler_type_returns_results_synchronously_and_asynchronously()
    {
        var results = new List<string>();
        var pipeline = Pipeline.Create<int>(Sys, "results-typed")
            .WithSettings(s => s.WithBufferSize(8).WithConsumers(3))
            .WithSource(ct => TestSources.Range(0, 500, cancellationToken: ct))
            .WithHandler<FormattingHandler, string>(results.Add)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(500, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"#{i}").Order(), results.Order());
    }

    [Fact]
    public async Task A_synchronous_delegate_returns_results_and_a_throwing_callback_does_not_lose_the_others()
    {
        var results = new List<int>();
        var pipeline = Pipeline.Create<int>(Sys, "results-sync")
            .WithSource(ct => TestSources.Range(1, 100, cancellationToken: ct))
            .WithHandler(item => item, result =>
            {
                if (result == 50)
                    throw new InvalidOperationException("the callback's own fault");
                results.Add(result);
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(100, report.Succeeded);
        Assert.Equal(Enumerable.Range(1, 100).Where(i => i != 50), results.Order());
    }

    [Fact]
    public async Task Results_waiting_to_be_delivered_hold_their_place_in_the_capacity()
    {
        const int capacity = 16;
        using var callbackHeld = new ManualResetEventSlim();
        var delivered = 0;
        var emitted = 0;
        var pipeline = Pipeline.Create<int>(Sys, "results-held")
            .WithSettings(s => s.WithCapacity(capacity))
            .WithSource(ct => TestSources.Range(0, 200, _ => Interlocked.Increment(ref emitted), ct))
            .WithHandler(item => item, _ =>
            {
                // The first result keeps the pipeline's actor in its callback until the spec lets it go.
                callbackHeld.Wait();
                Interlocked.Increment(ref delivered);
            })
            .Start();

        try
        {
            // Consumers go on finishing items while no result is delivered; producers stop once the capacity is used.
            await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).Succeeded >= capacity, TestSources.Hang, TestSources.Poll);
            var status = await pipeline.GetStatusAsync();
            Assert.Equal(0, Volatile.Read(ref delivered));
            Assert.Equal(capacity, status.Produced);
            Assert.Equal(capacity, status.Succeeded);
            Assert.InRange(Volatile.Read(ref emitted), capacity, capacity + 1);
        }
        finally
        {
            callbackHeld.Set();
        }

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        Assert.Equal(200, report.Succeeded);
        Assert.Equal(200, delivered);
    }

    [Fact]
    public async Task Items_a_killed_routee_had_finished_keep_their_results()
    {
        var results = new List<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = 0;
        var pipeline = Pipeline.Create<int>(Sys, "results-killed")
            .WithSettings(s => s.WithBufferSize(40).WithChunkSize(20).WithConsumers(1).WithMaxRetries(1))
            .WithSource(ct => TestSources.Range(0, 40, cancellationToken: ct))
            .WithHandler(
                async (item, _) =>
                {
                    // Item 10 waits in its handler: the routee holds a chunk whose first ten items are finished.
                    if (item == 10 && Interlocked.Increment(ref holding) == 1)
                        await gate.Task;
                    return item;
                },
                results.Add)
            .Start();

        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref holding) == 1), TestSources.Hang, TestSources.Poll);
        Sys.ActorSelection($"/user/{pipeline.Name}/consumers").Tell(new Akka.Routing.Broadcast(Kill.Instance));

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        gate.TrySetResult();

        Assert.Equal(40, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, 40), results.Order());
    }

    private sealed class FormattingHandler : IItemHandler<int, string>
    {
        public async ValueTask<string> HandleAsync(int item, CancellationToken cancellationToken)
        {
            if (item % 2 == 0)
                await Task.Yield();
            return $"#{item}";
        }
    }
}
