namespace ActorPipeline.Cluster;

/// <summary>Where a node listens and whom it joins: the settings a front node and its workers share.</summary>
public sealed record PipelineClusterOptions
{
    /// <summary>The address remoting binds to and advertises; loopback unless told otherwise.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The port remoting listens on; 0 takes a free one.</summary>
    public int Port { get; init; }

    /// <summary>Nodes to join, as <c>host:port</c> or full <c>akka.tcp://system@host:port</c> addresses; none: the node
    /// forms a cluster of its own, which others join.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>The node's cluster roles (a worker has <see cref="ClusterPipeline.WorkerRole"/>).</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The handler types this node hosts for pipelines on other nodes; when given, a deployment of any other
    /// handler is refused. Empty: any type that implements a handler interface may be deployed here (with TLS, only by
    /// nodes the cluster's authority admitted). Their item and result types are the only ones the node reads.</summary>
    public IReadOnlyList<Type> Handlers { get; init; } = [];

    /// <summary>This node's certificate for mutual TLS with the other nodes: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) with
    /// its private key, or a PEM certificate whose key is in the same file or in <see cref="TlsKey"/>. With
    /// <see cref="TlsAuthority"/>, every connection between nodes is encrypted and both ends must prove their identity.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>The PEM private key of a PEM <see cref="TlsCertificate"/> kept in a file of its own.</summary>
    public string? TlsKey { get; init; }

    /// <summary>The password of a PKCS#12 <see cref="TlsCertificate"/>, if it has one.</summary>
    public string? TlsCertificatePassword { get; init; }

    /// <summary>The certificate (PEM or DER) of the authority that signed the cluster's certificates: a node whose
    /// certificate it did not sign cannot connect to this one, and this node connects to no such node.</summary>
    public string? TlsAuthority { get; init; }

    /// <summary>Lets a node listen on an address other than loopback without TLS, where every item crosses the network in
    /// plain text and anything that reaches the port can join; logged as a warning at every start.</summary>
    public bool InsecurePlaintext { get; init; }

    /// <summary>Checks that the options describe a node that may start: a certificate and an authority together, or
    /// neither and an address on loopback (or <see cref="InsecurePlaintext"/>); the files are read when the node starts.</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">They do not, saying what to give.</exception>
    public PipelineClusterOptions Validate()
    {
        ClusterTls.Check(this);
        return this;
    }

    /// <summary>Whether the node uses mutual TLS (both <see cref="TlsCertificate"/> and <see cref="TlsAuthority"/> are given).</summary>
    public bool UsesTls => TlsCertificate is not null && TlsAuthority is not null;
}
