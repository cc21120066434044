#!/usr/bin/env bash
# Makes a throwaway certificate authority and a certificate for each node of a cluster, for mutual TLS between its
# nodes (--tls-cert NODE.pfx --tls-ca ca.pem). For trying it and for the tests; in production, use your own authority.
#
#   scripts/make-cluster-certs.sh DIR [NODE...]     (nodes default to: front worker1 worker2)
#
# Writes DIR/ca.pem (the authority's certificate, which every node trusts), DIR/ca.key (its key: keep it away from the
# nodes), and per node DIR/NODE.pfx (certificate + key, no password) and DIR/NODE.pem + DIR/NODE.key (the same as PEM).
# The certificates are valid for 30 days, for client and server use, and name localhost and 127.0.0.1.
set -euo pipefail

dir=${1:?usage: scripts/make-cluster-certs.sh DIR [NODE...]}
shift
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(front worker1 worker2)
mkdir -p "$dir"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=actor-pipeline cluster authority $(date +%s%N)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2> /dev/null

extensions=$(mktemp)
trap 'rm -f "$extensions"' EXIT
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$extensions"

for node in "${nodes[@]}"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$node" -keyout "$dir/$node.key" -out "$dir/$node.csr" 2> /dev/null
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -extfile "$extensions" -out "$dir/$node.pem" 2> /dev/null
  openssl pkcs12 -export -inkey "$dir/$node.key" -in "$dir/$node.pem" -certfile "$dir/ca.pem" -passout pass: -out "$dir/$node.pfx"
  rm -f "$dir/$node.csr"
done
rm -f "$dir/ca.srl"
echo "make-cluster-certs: authority $dir/ca.pem; nodes: ${nodes[*]} ($dir/NODE.pfx, $dir/NODE.pem + $dir/NODE.key)"
