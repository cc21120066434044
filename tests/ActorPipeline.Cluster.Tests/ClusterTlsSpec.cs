using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;

namespace ActorPipeline.Cluster.Tests;

/// <summary>Mutual TLS between nodes: nodes with certificates from the cluster's authority form the cluster and run the
/// pipeline; a node with another authority's certificate is refused, and the front says so.</summary>
public sealed class ClusterTlsSpec : IDisposable
{
    private const string SystemName = "tls-spec";
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(90);
    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    private readonly TestCertificates _cluster = new("actor-pipeline spec authority");
    private readonly TestCertificates _other = new("some other authority");

    [Fact]
    public async Task Nodes_signed_by_the_authority_run_the_pipeline_and_a_node_signed_by_another_is_refused()
    {
        var front = Node(new PipelineClusterOptions { TlsCertificate = _cluster.Node("front"), TlsAuthority = _cluster.AuthorityPath },
            ClusterPipeline.PoolDeployment("secure", perNode: 2));
        var refusals = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = front.ActorOf(Props.Create(() => new RefusalListener(refusals)));
        front.EventStream.Subscribe(listener, typeof(Warning));
        ClusterPipeline.Join(front, new PipelineClusterOptions());
        var seed = Akka.Cluster.Cluster.Get(front).SelfAddress.ToString();
        var systems = new List<ActorSystem> { front };
        try
        {
            var worker = Node(new PipelineClusterOptions
            {
                SeedNodes = [seed], Roles = [ClusterPipeline.WorkerRole], TlsCertificate = _cluster.Node("worker"), TlsAuthority = _cluster.AuthorityPath,
            });
            systems.Add(worker);
            ClusterPipeline.Join(worker, new PipelineClusterOptions { SeedNodes = [seed] });
            var intruderOptions = new PipelineClusterOptions
            {
                SeedNodes = [seed], Roles = [ClusterPipeline.WorkerRole], TlsCertificate = _other.Node("intruder"), TlsAuthority = _other.AuthorityPath,
            };
            var intruder = Node(intruderOptions);
            systems.Add(intruder);
            ClusterPipeline.Join(intruder, intruderOptions);

            var refusal = await refusals.Task.WaitAsync(Hang);
            await AwaitUpAsync(front, 2);
            var results = new List<string>();
            var report = await Pipeline.Create<long>(front, "secure")
                .WithSource(_ => Numbers(500))
                .WithHandler<WhereHandled, string>(results.Add)
                .Start().Completion.WaitAsync(Hang);

            Assert.Contains("is not signed by the cluster's authority", refusal);
            Assert.Equal((500L, 500L, 0L), (report.Produced, report.Succeeded, report.Failed));
            Assert.All(results, r => Assert.EndsWith($"@{Port(worker)}", r));
            Assert.DoesNotContain(Akka.Cluster.Cluster.Get(front).State.Members, m => m.Address.Port == Port(intruder));
        }
        finally
        {
            foreach (var system in systems)
                await system.Terminate();
        }
    }

    [Fact]
    public void A_node_that_would_listen_off_loopback_in_plain_text_refuses_to_start_unless_told()
    {
        var exposed = new PipelineClusterOptions { Hostname = "0.0.0.0" };

        var error = Assert.Throws<ConfigurationException>(() => ClusterPipeline.NodeSetup(SystemName, exposed));

        Assert.Contains("would listen on 0.0.0.0 without TLS", error.Message);
        Assert.Contains("--tls-cert", error.Message);
        Assert.NotNull(ClusterPipeline.NodeSetup(SystemName, exposed with { InsecurePlaintext = true }));
    }

    [Fact]
    public void A_certificate_without_an_authority_is_refused_naming_what_is_missing()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            ClusterPipeline.NodeSetup(SystemName, new PipelineClusterOptions { TlsCertificate = _cluster.Node("alone") }));

        Assert.Contains("only the certificate was given", error.Message);
    }

    private static ActorSystem Node(PipelineClusterOptions options, Config? extra = null) =>
        ActorSystem.Create(SystemName, ClusterPipeline.NodeSetup(SystemName, options, (extra ?? Config.Empty).WithFallback(Quiet)));

    private static async Task AwaitUpAsync(ActorSystem front, int members)
    {
        var cluster = Akka.Cluster.Cluster.Get(front);
        using var deadline = new CancellationTokenSource(Hang);
        while (cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < members)
            await Task.Delay(50, deadline.Token);
    }

    private static async IAsyncEnumerable<long> Numbers(long count)
    {
        for (var i = 0L; i < count; i++)
            yield return i;
        await Task.CompletedTask;
    }

    private static int Port(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress.Port ?? 0;

    public void Dispose()
    {
        _cluster.Dispose();
        _other.Dispose();
    }

    private sealed class RefusalListener : ReceiveActor
    {
        public RefusalListener(TaskCompletionSource<string> refusals) =>
            Receive<Warning>(w => refusals.TrySetResult(w.Message?.ToString() ?? ""), w => w.Message?.ToString()?.Contains("refused the TLS connection") == true);
    }
}
