#!/bin/sh
# Makes throw-away certificates for one test run in DIR, with GnuTLS's certtool:
#   gen-certs.sh DIR [ADDRESS...]
#   ca.pem / ca.key         the test CA
#   server.pem / server.key signed by it, for sip.keepline.test and the IP
#                           addresses given (127.0.0.1-127.0.0.9 without any)
#   other-ca.pem            an unrelated CA, to check that sipd refuses what it does not trust
set -eu
dir=$1
shift
if [ $# -eq 0 ]; then
  set -- 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9
fi
mkdir -p "$dir"
cd "$dir"

cat > ca.tmpl <<TMPL
cn = "keepline test CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 30
TMPL
{
  echo 'cn = "sip.keepline.test"'
  echo 'dns_name = "sip.keepline.test"'
  for address in "$@"; do
    echo "ip_address = \"$address\""
  done
  echo 'tls_www_server'
  echo 'encryption_key'
  echo 'signing_key'
  echo 'expiration_days = 30'
} > server.tmpl

certtool --generate-privkey --key-type=ecdsa --outfile ca.key 2>/dev/null
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile server.key 2>/dev/null
certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \
  --load-ca-privkey ca.key --template server.tmpl --outfile server.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile other-ca.key 2>/dev/null
certtool --generate-self-signed --load-privkey other-ca.key --template ca.tmpl --outfile other-ca.pem 2>/dev/null
rm -f ca.tmpl server.tmpl other-ca.key
