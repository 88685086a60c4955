/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd's TLS refuses what it should, against a real TLS server (openssl
 * s_server, bound to 127.0.N.2 of the test's address block), and says why.
 * For each of these, line 1 does not register, its LastError names the
 * failure in words, the server never sees a finished handshake from sipd, and
 * sipd keeps running:
 * - a server that speaks TLS 1.0 only (the default "sips tls priority" allows
 *   TLS 1.2 and 1.3 only);
 * - a certificate for another host name than the address sipd connects to;
 * - a certificate of an issuer sipd does not trust;
 * - an expired certificate, and one not yet valid;
 * - a certificate the CA's revocation list revokes ("sips certificate
 *   revocation list");
 * - a server that demands a client certificate, when sipd has none, or has
 *   one of an intermediate CA the server does not know and not its chain;
 * - a "sips tls priority" GnuTLS refuses (the error names the key).
 * Before sipd tries, a client that does not make the check in question
 * (gnutls-cli) completes a handshake with the same server, so that what is
 * proven is sipd's refusal, not a broken server. And sipd does get through
 * where it should: to the TLS 1.0 server once "sips tls priority" allows TLS
 * 1.0, and to the server that demands a client certificate once "sips local
 * certificate" and "sips private key" name one the server trusts, or one of
 * an intermediate CA sent with "sips root and intermediate certificates".
 * (gnutls-serv cannot bind one address, so s_server plays the server.) */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"
#include "kl-test-process.h"

#define SERVER kl_test_e2e_address (2)
#define OTHER_HOST kl_test_e2e_address (9) /* in the certificate for another host */
#define CLIENT_CN "keepline test phone"
#define CHAINED_CLIENT_CN "keepline chained phone"
#define WAIT_MS 10000
#define START_MS 5000
#define CLIENT_MS 5000
#define ESTABLISHED "CONNECTION ESTABLISHED" /* s_server -rev, on each finished handshake */

static const char *certdir; /* one set of certificates for the whole run */
static guint16 next_port = 5061;

typedef struct {
  KlTestPhone *phone;
  char *log_dir; /* the server's and the clients' output, apart from sipd's configuration */
  int server;
  char *server_log;
  guint16 port;
  gsize log_mark; /* length of the server's log when sipd starts */
} Fixture;

/* Certificates */

static void
certtool (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);

  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

/* NAME.key and NAME.pem in certdir, from the template TEXT; signed by the
 * CA ISSUER (its ISSUER.pem and ISSUER.key), or self-signed without one. */
static void
make_certificate (const char *name, const char *issuer, const char *text)
{
  g_autofree char *key = g_strdup_printf ("%s/%s.key", certdir, name);
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", certdir, name);
  g_autofree char *template = g_strdup_printf ("%s/%s.tmpl", certdir, name);
  g_autofree char *issuer_pem = issuer ? g_strdup_printf ("%s/%s.pem", certdir, issuer) : NULL;
  g_autofree char *issuer_key = issuer ? g_strdup_printf ("%s/%s.key", certdir, issuer) : NULL;
  g_autoptr (GError) error = NULL;
  const char *generate_key[] = { "certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", key, NULL };
  const char *self_signed[] = { "certtool", "--generate-self-signed", "--load-privkey", key,
                                "--template", template, "--outfile", pem, NULL };
  const char *signed_by[] = { "certtool", "--generate-certificate", "--load-privkey", key,
                              "--load-ca-certificate", issuer_pem, "--load-ca-privkey", issuer_key,
                              "--template", template, "--outfile", pem, NULL };

  g_file_set_contents (template, text, -1, &error);
  g_assert_no_error (error);
  certtool (generate_key);
  certtool (issuer ? signed_by : self_signed);
}

/* NAME.pem: the test CA's revocation list, revoking REVOKED.pem. */
static void
make_crl (const char *name, const char *revoked)
{
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", certdir, name);
  g_autofree char *template = g_strdup_printf ("%s/%s.tmpl", certdir, name);
  g_autofree char *revoked_pem = g_strdup_printf ("%s/%s.pem", certdir, revoked);
  g_autofree char *ca_pem = g_strdup_printf ("%s/ca.pem", certdir);
  g_autofree char *ca_key = g_strdup_printf ("%s/ca.key", certdir);
  g_autoptr (GError) error = NULL;
  const char *generate[] = { "certtool", "--generate-crl", "--load-ca-privkey", ca_key,
                             "--load-ca-certificate", ca_pem, "--load-certificate", revoked_pem,
                             "--template", template, "--outfile", pem, NULL };

  g_file_set_contents (template, "crl_next_update = 30\ncrl_number = 1\n", -1, &error);
  g_assert_no_error (error);
  certtool (generate);
}

/* A server certificate for sip.keepline.test and 127.0.N.2 signed by the test
 * CA, valid from FROM to UNTIL (seconds from now). */
static void
make_dated_certificate (const char *name, gint64 from, gint64 until)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) start = g_date_time_add_seconds (now, (gdouble) from);
  g_autoptr (GDateTime) end = g_date_time_add_seconds (now, (gdouble) until);
  g_autofree char *start_text = g_date_time_format (start, "%Y-%m-%d %H:%M:%S");
  g_autofree char *end_text = g_date_time_format (end, "%Y-%m-%d %H:%M:%S");
  g_autofree char *text = g_strdup_printf ("cn = \"sip.keepline.test\"\n"
                                           "dns_name = \"sip.keepline.test\"\n"
                                           "ip_address = \"%s\"\n"
                                           "tls_www_server\n"
                                           "signing_key\n"
                                           "activation_date = \"%s\"\n"
                                           "expiration_date = \"%s\"\n",
                                           SERVER, start_text, end_text);

  make_certificate (name, "ca", text);
}

/* Beside gen-certs.sh's ca, server and other-ca: */
static void
make_certificates (void)
{
  g_autofree char *other_host = g_strdup_printf ("cn = \"sip.other.test\"\n"
                                                 "dns_name = \"sip.other.test\"\n"
                                                 "ip_address = \"%s\"\n"
                                                 "tls_www_server\n"
                                                 "signing_key\n"
                                                 "expiration_days = 30\n",
                                                 OTHER_HOST);
  g_autofree char *stranger = g_strdup_printf ("cn = \"sip.keepline.test\"\n"
                                               "dns_name = \"sip.keepline.test\"\n"
                                               "ip_address = \"%s\"\n"
                                               "tls_www_server\n"
                                               "signing_key\n"
                                               "expiration_days = 30\n",
                                               SERVER);

  /* right issuer, wrong name */
  make_certificate ("other-host", "ca", other_host);
  /* right name, an issuer nobody trusts */
  make_certificate ("unrelated-ca", NULL, "cn = \"unrelated CA\"\n"
                                          "ca\n"
                                          "cert_signing_key\n"
                                          "expiration_days = 30\n");
  make_certificate ("unknown-issuer", "unrelated-ca", stranger);
  /* right name and issuer, wrong time */
  make_dated_certificate ("expired", -2 * 24 * 3600, -24 * 3600);
  make_dated_certificate ("not-yet-valid", 24 * 3600, 2 * 24 * 3600);
  /* the phone's own */
  make_certificate ("client", "ca", "cn = \"" CLIENT_CN "\"\n"
                                    "tls_www_client\n"
                                    "signing_key\n"
                                    "expiration_days = 30\n");
  /* the phone's own, from an intermediate CA the server does not know */
  make_certificate ("intermediate", "ca", "cn = \"keepline test intermediate CA\"\n"
                                          "ca\n"
                                          "cert_signing_key\n"
                                          "expiration_days = 30\n");
  make_certificate ("chained-client", "intermediate", "cn = \"" CHAINED_CLIENT_CN "\"\n"
                                                      "tls_www_client\n"
                                                      "signing_key\n"
                                                      "expiration_days = 30\n");
  /* right name and issuer, revoked by the CA's CRL */
  make_certificate ("revoked", "ca", stranger);
  make_crl ("crl", "revoked");
}

static char *
cert_path (const char *file)
{
  return g_build_filename (certdir, file, NULL);
}

/* The TLS server */

static char *
server_log (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (f->server_log, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static gboolean
server_listens (gpointer data)
{
  g_autofree char *text = server_log (data);
  return strstr (text, "ACCEPT\n") != NULL;
}

/* openssl s_server on SERVER:port with NAME.pem and NAME.key; -rev writes
 * each finished handshake to its log and does not read stdin. */
static void
start_server (Fixture *f, const char *name, const char *const *options)
{
  g_autofree char *accept = g_strdup_printf ("%s:%u", SERVER, f->port);
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", certdir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", certdir, name);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *fixed[] = { "openssl", "s_server", "-accept", accept, "-cert", pem, "-key", key, "-rev" };

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (char *) fixed[i]);
  for (guint i = 0; options != NULL && options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  g_ptr_array_add (argv, NULL);
  f->server = kl_test_session_spawn ((const char *const *) argv->pdata, f->server_log);
  if (!kl_test_wait_until (server_listens, f, START_MS)) {
    g_autofree char *text = server_log (f);
    g_error ("openssl s_server does not listen on %s:\n%s", accept, text);
  }
}

/* gnutls-cli with OPTIONS to the server, stdin empty: whether it finished a
 * handshake (and closed again). */
static gboolean
client_connects (Fixture *f, const char *const *options)
{
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  g_autofree char *log = g_build_filename (f->log_dir, "gnutls-cli.log", NULL);
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int pid;
  int status;

  g_ptr_array_add (argv, (char *) "gnutls-cli");
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, port);
  for (guint i = 0; options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  g_ptr_array_add (argv, (char *) SERVER);
  g_ptr_array_add (argv, NULL);
  pid = kl_test_session_spawn ((const char *const *) argv->pdata, log);
  status = kl_test_session_wait (pid, CLIENT_MS);
  if (status == -2)
    kl_test_session_kill (&pid);
  command = g_strjoinv (" ", (char **) argv->pdata);
  g_file_get_contents (log, &out, NULL, NULL);
  g_test_message ("%s: exit status %d\n%s", command, status, out);
  return status == 0 && out != NULL && strstr (out, "Handshake was completed") != NULL;
}

/* sipd */

static void
write_config (Fixture *f, const char *extra)
{
  g_autofree char *trust = cert_path ("ca.pem");
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip outbound support: 1\n"
                                           "sip transport protocol: 4\n"
                                           "sips trusted certificates: %s\n"
                                           "sip proxy ip: %s\n"
                                           "sip proxy port: %u\n"
                                           "sip timer scale percent: 1\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "%s",
                                           trust, SERVER, f->port, extra ? extra : "");

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
}

static void
start_sipd (Fixture *f)
{
  g_autofree char *text = server_log (f);

  f->log_mark = strlen (text);
  kl_test_phone_start_sipd (f->phone);
}

/* What the server wrote since sipd started. */
static char *
server_log_since_sipd (Fixture *f)
{
  g_autofree char *text = server_log (f);
  return g_strdup (text + f->log_mark);
}

static gboolean
has_last_error (gpointer data)
{
  const char *error = kl_sip_line1_get_last_error (data);
  return error != NULL && *error != '\0';
}

/* Line 1's LastError once it has one; the line is not registered, and sipd
 * still runs. */
static const char *
refusal (Fixture *f)
{
  const char *error;

  if (!kl_test_wait_until (has_last_error, f->phone->line, WAIT_MS))
    g_error ("line 1 is %s after %u ms, without a LastError", kl_sip_line1_get_state (f->phone->line), WAIT_MS);
  error = kl_sip_line1_get_last_error (f->phone->line);
  g_test_message ("LastError: %s", error);
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), !=, "registered");
  g_assert_nonnull (g_subprocess_get_identifier (f->phone->sipd));
  g_assert_true (kl_test_bus_wait_for_name (f->phone->bus, "org.keepline.Sip", TRUE));
  return error;
}

/* The first flow of the line is up and has not failed. */
static gboolean
first_flow_active (gpointer data)
{
  GVariant *flows = kl_sip_line1_get_flows (data);
  g_autoptr (GVariant) flow = NULL;
  const char *state;
  guint failures;

  if (flows == NULL || g_variant_n_children (flows) == 0)
    return FALSE;
  flow = g_variant_get_child_value (flows, 0);
  kl_test_lookup (flow, "state", "&s", &state);
  kl_test_lookup (flow, "failures", "u", &failures);
  return g_strcmp0 (state, "active") == 0 && failures == 0;
}

/* sipd refused what the server offered: no handshake of it finished. */
static void
assert_no_handshake_with_sipd (Fixture *f)
{
  g_autofree char *since = server_log_since_sipd (f);

  g_test_message ("openssl s_server since sipd started:\n%s", since);
  g_assert_null (strstr (since, ESTABLISHED));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->phone = kl_test_phone_new ();
  f->log_dir = kl_test_config_dir_new ();
  f->server_log = g_build_filename (f->log_dir, "s_server.log", NULL);
  g_file_set_contents (f->server_log, "", 0, NULL);
  f->port = next_port++;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone); /* sipd still running, and it ends on SIGTERM with status 0 */
  kl_test_session_kill (&f->server);
  kl_test_config_dir_remove (f->log_dir);
  g_free (f->log_dir);
  g_free (f->server_log);
}

/* Protocol version */

/* s_server options: TLS 1.0 only; OpenSSL 3 wants security level 0 for its SHA-1 */
static const char *const tls_1_0_server[] = { "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", NULL };

static void
test_server_of_tls_1_0_only_is_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *ca = cert_path ("ca.pem");
  const char *tls_1_0[] = { "--x509cafile", ca, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.0", NULL };
  g_autofree char *control = NULL;
  const char *error;

  start_server (f, "server", tls_1_0_server);
  g_assert_true (client_connects (f, tls_1_0));
  control = server_log (f);
  g_assert_nonnull (strstr (control, "Protocol version: TLSv1\n"));

  write_config (f, NULL);
  start_sipd (f);
  error = refusal (f);
  g_assert_nonnull (strstr (error, "protocol version"));
  assert_no_handshake_with_sipd (f);
}

static gboolean
server_accepted_sipd_with_tls_1_0 (gpointer data)
{
  g_autofree char *since = server_log_since_sipd (data);
  return strstr (since, ESTABLISHED "\nProtocol version: TLSv1\n") != NULL;
}

/* The same server is reached once "sips tls priority" allows TLS 1.0: what
 * refused it above is the default priority. */
static void
test_server_of_tls_1_0_only_is_reached_when_the_priority_allows_it (Fixture *f, gconstpointer data)
{
  g_autofree char *since = NULL;

  start_server (f, "server", tls_1_0_server);
  write_config (f, "sips tls priority: NORMAL:-VERS-ALL:+VERS-TLS1.0\n");
  start_sipd (f);
  g_assert_true (kl_test_wait_until (server_accepted_sipd_with_tls_1_0, f, WAIT_MS));
  g_assert_true (kl_test_wait_until (first_flow_active, f->phone->line, WAIT_MS));
  since = server_log_since_sipd (f);
  g_test_message ("openssl s_server since sipd started:\n%s", since);
  g_assert_null (strstr (kl_sip_line1_get_last_error (f->phone->line), "TLS"));
}

/* The server's certificate */

typedef struct {
  const char *path;
  const char *certificate; /* of the server, in certdir */
  const char *reason;      /* in LastError */
  gboolean with_crl;       /* "sips certificate revocation list" names crl.pem */
} CertificateCase;

static const CertificateCase certificate_cases[] = {
  { "/e2e/tls/certificate-for-another-host-is-refused", "other-host", "name in the certificate does not match" },
  { "/e2e/tls/certificate-of-an-unknown-issuer-is-refused", "unknown-issuer", "issuer is unknown" },
  { "/e2e/tls/expired-certificate-is-refused", "expired", "uses expired certificate" },
  { "/e2e/tls/certificate-not-yet-valid-is-refused", "not-yet-valid", "uses not yet valid certificate" },
  { "/e2e/tls/revoked-certificate-is-refused", "revoked", "revoked", TRUE },
};

static void
test_certificate_is_refused (Fixture *f, gconstpointer data)
{
  const CertificateCase *c = data;
  const char *insecure[] = { "--insecure", NULL };
  const char *error;

  g_autofree char *crl = cert_path ("crl.pem");
  g_autofree char *extra = g_strdup_printf ("sips certificate revocation list: %s\n", crl);

  start_server (f, c->certificate, NULL);
  g_assert_true (client_connects (f, insecure));

  write_config (f, c->with_crl ? extra : NULL);
  start_sipd (f);
  error = refusal (f);
  g_assert_nonnull (strstr (error, "TLS"));
  g_assert_nonnull (strstr (error, c->reason));
  assert_no_handshake_with_sipd (f);
}

/* Client certificates */

static void
start_server_demanding_a_client_certificate (Fixture *f)
{
  g_autofree char *ca = cert_path ("ca.pem");
  g_autofree char *client_pem = cert_path ("client.pem");
  g_autofree char *client_key = cert_path ("client.key");
  const char *server[] = { "-Verify", "1", "-verify_return_error", "-CAfile", ca, NULL };
  const char *with_certificate[] = { "--x509cafile", ca, "--x509certfile", client_pem,
                                     "--x509keyfile", client_key, NULL };
  g_autofree char *control = NULL;

  start_server (f, "server", server);
  g_assert_true (client_connects (f, with_certificate));
  control = server_log (f);
  g_assert_nonnull (strstr (control, "Peer certificate: CN = " CLIENT_CN));
}

static void
test_server_demanding_a_client_certificate_refuses_a_phone_without_one (Fixture *f, gconstpointer data)
{
  const char *error;

  start_server_demanding_a_client_certificate (f);
  write_config (f, NULL);
  start_sipd (f);
  error = refusal (f);
  g_assert_nonnull (strstr (error, "TLS"));
  g_assert_nonnull (strstr (error, "ertificate is required"));
  assert_no_handshake_with_sipd (f);
}

static gboolean
server_accepted_sipd (gpointer data)
{
  g_autofree char *since = server_log_since_sipd (data);
  return strstr (since, ESTABLISHED) != NULL && strstr (since, "Peer certificate: CN = " CLIENT_CN) != NULL;
}

static void
test_server_demanding_a_client_certificate_accepts_the_configured_one (Fixture *f, gconstpointer data)
{
  g_autofree char *client_pem = cert_path ("client.pem");
  g_autofree char *client_key = cert_path ("client.key");
  g_autofree char *extra = g_strdup_printf ("sips local certificate: %s\n"
                                            "sips private key: %s\n",
                                            client_pem, client_key);
  g_autofree char *since = NULL;
  const char *error;

  start_server_demanding_a_client_certificate (f);
  write_config (f, extra);
  start_sipd (f);
  g_assert_true (kl_test_wait_until (server_accepted_sipd, f, WAIT_MS));
  /* and sipd's side of it: its flow is up, without a failure */
  g_assert_true (kl_test_wait_until (first_flow_active, f->phone->line, WAIT_MS));
  since = server_log_since_sipd (f);
  g_test_message ("openssl s_server since sipd started:\n%s", since);

  /* s_server is no registrar: whatever the line makes of its answer, TLS is not the problem */
  error = kl_sip_line1_get_last_error (f->phone->line);
  g_test_message ("LastError: %s", error);
  g_assert_null (strstr (error, "TLS"));
  g_assert_null (strstr (error, "ertificate"));
  g_assert_nonnull (g_subprocess_get_identifier (f->phone->sipd));
}

/* A server that knows only the root: the phone sends its certificate with
 * "sips root and intermediate certificates" after it. The CRL is configured
 * too, and revokes another certificate, not the server's. */
static void
start_server_demanding_a_client_certificate_of_the_root (Fixture *f)
{
  g_autofree char *ca = cert_path ("ca.pem");
  const char *server[] = { "-Verify", "2", "-verify_return_error", "-CAfile", ca, NULL };

  start_server (f, "server", server);
}

static char *
chained_client_config (gboolean with_chain)
{
  g_autofree char *pem = cert_path ("chained-client.pem");
  g_autofree char *key = cert_path ("chained-client.key");
  g_autofree char *intermediate = cert_path ("intermediate.pem");
  g_autofree char *crl = cert_path ("crl.pem");

  return g_strdup_printf ("sips local certificate: %s\n"
                          "sips private key: %s\n"
                          "sips certificate revocation list: %s\n"
                          "%s%s%s",
                          pem, key, crl, with_chain ? "sips root and intermediate certificates: " : "",
                          with_chain ? intermediate : "", with_chain ? "\n" : "");
}

static gboolean
server_accepted_chained_sipd (gpointer data)
{
  g_autofree char *since = server_log_since_sipd (data);
  return strstr (since, ESTABLISHED) != NULL && strstr (since, "Peer certificate: CN = " CHAINED_CLIENT_CN) != NULL;
}

static void
test_client_certificate_of_an_intermediate_ca_goes_with_its_chain (Fixture *f, gconstpointer data)
{
  g_autofree char *extra = chained_client_config (TRUE);

  start_server_demanding_a_client_certificate_of_the_root (f);
  write_config (f, extra);
  start_sipd (f);
  g_assert_true (kl_test_wait_until (server_accepted_chained_sipd, f, WAIT_MS));
  g_assert_true (kl_test_wait_until (first_flow_active, f->phone->line, WAIT_MS));
  g_assert_null (strstr (kl_sip_line1_get_last_error (f->phone->line), "TLS"));
}

static void
test_client_certificate_of_an_intermediate_ca_without_its_chain_is_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *extra = chained_client_config (FALSE);
  const char *error;

  start_server_demanding_a_client_certificate_of_the_root (f);
  write_config (f, extra);
  start_sipd (f);
  error = refusal (f);
  g_assert_nonnull (strstr (error, "TLS"));
  assert_no_handshake_with_sipd (f);
}

/* Configuration */

static void
test_priority_gnutls_refuses_is_named_in_the_error (Fixture *f, gconstpointer data)
{
  const char *error;

  write_config (f, "sips tls priority: NOT-A-PRIORITY\n");
  start_sipd (f);
  error = refusal (f);
  g_assert_nonnull (strstr (error, "'sips tls priority'"));
  g_assert_nonnull (strstr (error, "NOT-A-PRIORITY"));
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  make_certificates ();

  kl_test_e2e_add ("/e2e/tls/server-of-tls-1.0-only-is-refused", Fixture, NULL, fixture_setup,
                   test_server_of_tls_1_0_only_is_refused, fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/server-of-tls-1.0-only-is-reached-when-the-priority-allows-it", Fixture, NULL,
                   fixture_setup, test_server_of_tls_1_0_only_is_reached_when_the_priority_allows_it,
                   fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (certificate_cases); i++)
    kl_test_e2e_add (certificate_cases[i].path, Fixture, &certificate_cases[i], fixture_setup,
                     test_certificate_is_refused, fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/server-demanding-a-client-certificate-refuses-a-phone-without-one", Fixture, NULL,
                   fixture_setup, test_server_demanding_a_client_certificate_refuses_a_phone_without_one,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/server-demanding-a-client-certificate-accepts-the-configured-one", Fixture, NULL,
                   fixture_setup, test_server_demanding_a_client_certificate_accepts_the_configured_one,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/client-certificate-of-an-intermediate-ca-goes-with-its-chain", Fixture, NULL,
                   fixture_setup, test_client_certificate_of_an_intermediate_ca_goes_with_its_chain,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/client-certificate-of-an-intermediate-ca-without-its-chain-is-refused", Fixture,
                   NULL, fixture_setup, test_client_certificate_of_an_intermediate_ca_without_its_chain_is_refused,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/tls/priority-gnutls-refuses-is-named-in-the-error", Fixture, NULL, fixture_setup,
                   test_priority_gnutls_refuses_is_named_in_the_error, fixture_teardown);

  return kl_test_e2e_run ();
}
