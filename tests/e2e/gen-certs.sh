#!/bin/sh
# Makes throw-away certificates for one test run in DIR, with GnuTLS's certtool:
#   ca.pem / ca.key         the test CA
#   server.pem / server.key signed by it, for 127.0.0.1-127.0.0.9 and sip.keepline.test
#   other-ca.pem            an unrelated CA, to check that sipd refuses what it does not trust
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

cat > ca.tmpl <<TMPL
cn = "keepline test CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 30
TMPL
cat > server.tmpl <<TMPL
cn = "sip.keepline.test"
dns_name = "sip.keepline.test"
ip_address = "127.0.0.1"
ip_address = "127.0.0.2"
ip_address = "127.0.0.3"
ip_address = "127.0.0.4"
ip_address = "127.0.0.5"
ip_address = "127.0.0.6"
ip_address = "127.0.0.7"
ip_address = "127.0.0.8"
ip_address = "127.0.0.9"
tls_www_server
encryption_key
signing_key
expiration_days = 30
TMPL

certtool --generate-privkey --key-type=ecdsa --outfile ca.key 2>/dev/null
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile server.key 2>/dev/null
certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \
  --load-ca-privkey ca.key --template server.tmpl --outfile server.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile other-ca.key 2>/dev/null
certtool --generate-self-signed --load-privkey other-ca.key --template ca.tmpl --outfile other-ca.pem 2>/dev/null
rm -f ca.tmpl server.tmpl other-ca.key
