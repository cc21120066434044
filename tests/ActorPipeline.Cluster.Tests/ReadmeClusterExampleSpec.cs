using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Akka.Actor;

namespace ActorPipeline.Cluster.Tests;

/// <summary>The README's "Scaling out" example is this code, compiled with the library: the README shows exactly it.</summary>
/// <remarks>The example names a fixed port and another machine's address, so it is compiled and compared, not run;
/// <see cref="ClusterPoolSpec"/> runs the same calls on free ports.</remarks>
public sealed class ReadmeClusterExampleSpec
{
    public sealed record Order(int Number);

    public sealed record Receipt(int Number);

    public sealed class StoreOrder : IItemHandler<Order, Receipt>
    {
        public ValueTask<Receipt> HandleAsync(Order item, CancellationToken cancellationToken) => ValueTask.FromResult(new Receipt(item.Number));
    }

    private static async IAsyncEnumerable<Order> ReadOrdersAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        yield break;
    }

    [Fact]
    public void The_readme_shows_the_cluster_example_as_it_is_compiled()
    {
        var here = File.ReadAllText(SourcePath());
        var example = Regex.Match(here, @"#region readme-cluster\r?\n(?<code>.*?)\r?\n\s*#endregion", RegexOptions.Singleline).Groups["code"].Value;
        var dedented = string.Join('\n', example.Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).Trim();
        var readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(SourcePath())!, "..", "..", "README.md")).ReplaceLineEndings("\n");

        Assert.NotEmpty(dedented);
        Assert.Contains(dedented, readme);
    }

    // Compiled, never called: see the remarks.
    private static (ActorSystem Front, PipelineHandle Pipeline, ActorSystem Worker) Example(List<Receipt> receipts)
    {
        #region readme-cluster
        // The front node: the pipeline, with its pool deployed on the workers by configuration, over mutual TLS.
        var tls = new PipelineClusterOptions { TlsCertificate = "certs/front.pfx", TlsAuthority = "certs/ca.pem" };
        var front = ActorSystem.Create("orders", ClusterPipeline.NodeSetup("orders", tls with { Hostname = "10.0.0.5", Port = 4053 },
            ClusterPipeline.PoolDeployment("orders", perNode: 4)));
        ClusterPipeline.Join(front, tls);                                   // no seed nodes: it forms the cluster
        var pipeline = Pipeline.Create<Order>(front, "orders")
            .WithSource(ct => ReadOrdersAsync(ct))
            .WithHandler<StoreOrder, Receipt>(receipts.Add)                   // results come back to the front
            .Start();

        // Each worker process: a member with role "worker"; the front's pool deploys routees on it (StoreOrder only).
        var options = new PipelineClusterOptions
        {
            Hostname = "10.0.0.6", SeedNodes = ["10.0.0.5:4053"], Roles = [ClusterPipeline.WorkerRole], Handlers = [typeof(StoreOrder)],
            TlsCertificate = "certs/worker1.pfx", TlsAuthority = "certs/ca.pem",
        };
        var worker = ActorSystem.Create("orders", ClusterPipeline.NodeSetup("orders", options));
        ClusterPipeline.Join(worker, options);
        #endregion
        return (front, pipeline, worker);
    }

    private static string SourcePath([CallerFilePath] string path = "") => path;
}
