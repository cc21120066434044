using Akka.TestKit;

namespace ActorPipeline.TestKit;

/// <summary>How the probes wait for a message and fail: through the test kit's assertions, saying what was expected and what arrived.</summary>
internal static class Expectations
{
    public static async Task<object?> NextAsync(TestKitBase testKit, TestProbe probe, TimeSpan? within)
    {
        var (received, envelope) = await probe.TryReceiveOneAsync(within ?? testKit.RemainingOrDefault);
        return received ? envelope.Message : null;
    }

    /// <summary>Fails the test; the exception returned is never reached (the assertion throws), it only lets callers write <c>throw</c>.</summary>
    public static Exception Fail(TestKitBase testKit, string message)
    {
        TestKitAssertionsExtension.For(testKit.Sys).Assertions.Fail("{0}", message);
        return new InvalidOperationException(message);
    }

    public static Exception Fail(TestKitBase testKit, string expected, object? arrived) =>
        Fail(testKit, arrived is null ? $"Expected {expected}, but nothing arrived." : $"Expected {expected}, but received {arrived}.");
}
