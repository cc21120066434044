using ActorPipeline.Internal;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class CreditPoolSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output)
{
    [Fact]
    public void Credit_is_taken_up_to_what_is_left_and_never_below_zero()
    {
        var pool = new CreditPool(5);

        Assert.Equal(3, pool.TryTake(3));
        Assert.Equal(2, pool.TryTake(3));
        Assert.Equal(0, pool.TryTake(1));
        pool.Return(4);
        Assert.Equal(4, pool.Available);
    }

    [Fact]
    public async Task Waiters_are_woken_in_the_order_they_waited_one_per_returned_credit()
    {
        var pool = new CreditPool(1);
        Assert.Equal(1, pool.TryTake(1));
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        Assert.Equal(0, pool.TakeOrWait(1, first.Ref));
        Assert.Equal(0, pool.TakeOrWait(1, second.Ref));

        pool.Return(1);

        await first.ExpectMsgAsync<CreditReturned>();
        await second.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, pool.TryTake(1));
        pool.Return(1);
        await second.ExpectMsgAsync<CreditReturned>();
    }

    [Fact]
    public async Task A_forgotten_waiter_is_not_woken()
    {
        var pool = new CreditPool(1);
        pool.TryTake(1);
        var waiter = CreateTestProbe();
        Assert.Equal(0, pool.TakeOrWait(1, waiter.Ref));

        pool.Forget(waiter.Ref);
        pool.Return(1);

        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Credit_taken_and_returned_from_many_threads_is_never_more_than_the_capacity()
    {
        const int capacity = 7;
        var pool = new CreditPool(capacity);
        var held = 0;
        var peak = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                var taken = pool.TryTake(3);
                if (taken == 0)
                    continue;
                var now = Interlocked.Add(ref held, taken);
                InterlockedMax(ref peak, now);
                Interlocked.Add(ref held, -taken);
                pool.Return(taken);
            }
        }));

        await Task.WhenAll(workers);

        Assert.InRange(peak, 1, capacity);
        Assert.Equal(capacity, pool.Available);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
