using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ActorPipeline.Cluster;

/// <summary>Mutual TLS between a cluster's nodes: each node presents its certificate and accepts only peers whose
/// certificate the cluster's authority signed; a node refuses to listen off loopback in plain text unless told to.</summary>
internal static class ClusterTls
{
    /// <summary>The TLS setup of a node, or null when it runs in plain text.</summary>
    /// <exception cref="ConfigurationException">Only one of certificate and authority is given, a file cannot be read,
    /// or the node would listen off loopback in plain text without <see cref="PipelineClusterOptions.InsecurePlaintext"/>.</exception>
    public static DotNettySslSetup? Setup(PipelineClusterOptions options)
    {
        if (!Check(options))
            return null;
        var certificate = LoadCertificate(options.TlsCertificate!, options.TlsKey, options.TlsCertificatePassword);
        var authority = LoadAuthority(options.TlsAuthority!);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, SignedBy(authority));
    }

    /// <summary>Whether the node uses TLS; throws when the options describe a node that may not start.</summary>
    public static bool Check(PipelineClusterOptions options)
    {
        if ((options.TlsCertificate is null) != (options.TlsAuthority is null))
            throw new ConfigurationException(
                "Mutual TLS needs both the node's certificate (TlsCertificate, the host's --tls-cert) and the cluster's authority " +
                $"(TlsAuthority, --tls-ca); only the {(options.TlsCertificate is null ? "authority" : "certificate")} was given.");
        if (!options.UsesTls)
        {
            if (!IsLoopback(options.Hostname) && !options.InsecurePlaintext)
                throw new ConfigurationException(
                    $"This node would listen on {options.Hostname} without TLS: every item would cross the network in plain text, and " +
                    "anything that reaches the port could join the cluster and be given work. Give the node a certificate and the " +
                    "cluster's authority (TlsCertificate and TlsAuthority; the host's --tls-cert and --tls-ca; scripts/make-cluster-certs.sh " +
                    "makes a throwaway set), or accept plain text with InsecurePlaintext (--insecure-plaintext).");
            return false;
        }

        return true;
    }

    /// <summary>The HOCON that turns TLS on for a node with <paramref name="options"/>.</summary>
    public static Config Config(PipelineClusterOptions options) =>
        options.UsesTls ? ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on") : Akka.Configuration.Config.Empty;

    /// <summary>Says at every start that a node listens off loopback in plain text, when it was allowed to.</summary>
    public static void WarnIfExposed(ILoggingAdapter log, PipelineClusterOptions options)
    {
        if (!options.UsesTls && !IsLoopback(options.Hostname))
            log.Warning("ActorPipeline: this node listens on {0} WITHOUT TLS (insecure plaintext): items cross the network unencrypted and " +
                "any process that reaches the port can join the cluster. Use TlsCertificate and TlsAuthority (--tls-cert, --tls-ca).", options.Hostname);
    }

    // A peer is accepted when its certificate chains to the cluster's authority, and to no other root; the machine's
    // trusted roots play no part. Host names are not checked: nodes come and go on addresses no certificate names.
    private static CertificateValidationCallback SignedBy(X509Certificate2 authority) => (certificate, _, peer, _, log) =>
    {
        if (certificate is null)
        {
            log.Warning("ActorPipeline: refused the TLS connection of {0}: it presented no certificate.", peer);
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
            return true;
        var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        log.Warning("ActorPipeline: refused the TLS connection of {0}: its certificate '{1}' (issued by '{2}') is not signed by the cluster's " +
            "authority '{3}' ({4}).", peer, certificate.Subject, certificate.Issuer, authority.Subject, why.Length > 0 ? why : "untrusted chain");
        return false;
    };

    private static X509Certificate2 LoadCertificate(string path, string? keyPath, string? password)
    {
        try
        {
            if (!IsPem(path))
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            using var pem = X509Certificate2.CreateFromPemFile(path, keyPath);
            // Re-imported so the key is a persisted one, which every platform's TLS stack accepts.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigurationException($"Cannot read the node's TLS certificate {path}{(keyPath is null ? "" : $" (key {keyPath})")}: {e.Message}", e);
        }
    }

    private static X509Certificate2 LoadAuthority(string path)
    {
        try
        {
            return IsPem(path) ? X509Certificate2.CreateFromPem(File.ReadAllText(path)) : X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigurationException($"Cannot read the cluster's TLS authority {path}: {e.Message}", e);
        }
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        var start = new char[64];
        var read = reader.ReadBlock(start, 0, start.Length);
        return new string(start, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static bool IsLoopback(string hostname) =>
        string.Equals(hostname, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(hostname, out var address) && IPAddress.IsLoopback(address));
}
