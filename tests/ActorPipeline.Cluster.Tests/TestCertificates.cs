using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorPipeline.Cluster.Tests;

/// <summary>A throwaway certificate authority and node certificates in a temporary directory, made with .NET's
/// CertificateRequest (the same shape scripts/make-cluster-certs.sh makes with openssl).</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("actor-pipeline-certs-");
    private readonly X509Certificate2 _authority;

    public TestCertificates(string authorityName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={authorityName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        AuthorityPath = Path.Combine(_directory.FullName, "ca.pem");
        File.WriteAllText(AuthorityPath, _authority.ExportCertificatePem());
    }

    /// <summary>The authority's certificate, PEM.</summary>
    public string AuthorityPath { get; }

    /// <summary>A node certificate signed by the authority, as a PKCS#12 file without password; its path.</summary>
    public string Node(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var serial = RandomNumberGenerator.GetBytes(8);
        using var signed = request.Create(_authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        var path = Path.Combine(_directory.FullName, $"{name}.pfx");
        File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12));
        return path;
    }

    public void Dispose()
    {
        _authority.Dispose();
        _directory.Delete(recursive: true);
    }
}
