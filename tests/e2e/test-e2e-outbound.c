/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd against a real Kamailio on 127.0.N.2, in the test's address block: SIP
 * Outbound registrations over UDP, TCP, TLS and persistent TLS, keep-alives,
 * recovery of a flow the server cut, TLS that refuses an untrusted server, and
 * requests arriving over the flow. */
#include <string.h>

#include "kl-dbus.h"
#include "kl-test-bus.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "sipd-instance.h"

#define SERVER kl_test_e2e_address (2)
#define MAC "00085D0A0B0C"
#define WAIT_MS 10000

static char *certdir; /* one set of certificates for the whole run */

typedef struct {
  const char *name;
  int protocol; /* sip transport protocol */
  gboolean persistent;
  const char *transport; /* as Kamailio prints it in the binding */
  guint16 port;
} Transport;

static const Transport transports[] = {
  { "udp", 1, FALSE, NULL, 5060 },
  { "tcp", 2, FALSE, "transport=tcp", 5060 },
  { "tls", 4, FALSE, "transport=tls", 5061 },
  { "persistent-tls", 4, TRUE, "transport=tls", 5061 },
};

typedef struct {
  const Transport *transport;
  KlTestKamailio *kamailio;
  KlTestBus *bus;
  char *config_dir;
  GSubprocess *sipd;
} Fixture;

static void
write_config (Fixture *f, const char *trust_file, const char *extra)
{
  g_autofree char *text = g_strdup_printf (
    "sip local port: 0\n"
    "sip local tls port: 15061\n"
    "sip outbound support: 1\n"
    "sip transport protocol: %d\n"
    "sips persistent tls: %d\n"
    "sips trusted certificates: %s\n"
    "sip proxy ip: %s\n"
    "sip proxy port: %u\n"
    "sip timer scale percent: 1\n"
    "sip transaction timer: 2000\n"
    "sip line1 user name: 1001\n"
    "sip line1 password: secret1001\n"
    "sip line2 user name: 1002\n"
    "sip line2 password: secret1002\n"
    "%s",
    f->transport->protocol, f->transport->persistent, trust_file, SERVER, f->transport->port, extra ? extra : "");

  kl_test_config_write (f->config_dir, "local.cfg", text);
}

static void
start_sipd (Fixture *f)
{
  const char *argv[] = { kl_test_build_path ("sipd/sipd"), "--config-dir", f->config_dir, "--mac", MAC, NULL };

  f->sipd = kl_test_bus_spawn (f->bus, G_SUBPROCESS_FLAGS_NONE, argv);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, "org.keepline.Sip", TRUE));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->transport = data;
  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
  f->bus = kl_test_bus_new ();
  f->config_dir = kl_test_config_dir_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->sipd != NULL) {
    kl_test_process_stop (f->sipd);
    if (g_subprocess_get_if_signaled (f->sipd))
      g_error ("sipd died of signal %d instead of stopping on SIGTERM", g_subprocess_get_term_sig (f->sipd));
    g_assert_cmpint (g_subprocess_get_exit_status (f->sipd), ==, 0);
    g_clear_object (&f->sipd);
  }
  kl_test_config_dir_remove (f->config_dir);
  g_free (f->config_dir);
  kl_test_bus_free (f->bus);
  kl_test_kamailio_free (f->kamailio);
}

static KlSipLine1 *
line_proxy (Fixture *f, guint index)
{
  g_autofree char *path = g_strdup_printf ("/org/keepline/Sip/Line/%u", index);
  g_autoptr (GError) error = NULL;
  KlSipLine1 *line = kl_sip_line1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE, "org.keepline.Sip",
                                                   path, NULL, &error);

  g_assert_no_error (error);
  return line;
}

typedef struct {
  KlSipLine1 *line;
  const char *state;
} StateWait;

static gboolean
line_state_is (gpointer data)
{
  StateWait *wait = data;
  return g_strcmp0 (kl_sip_line1_get_state (wait->line), wait->state) == 0;
}

static void
wait_for_state (KlSipLine1 *line, const char *state)
{
  StateWait wait = { line, state };

  if (!kl_test_wait_until (line_state_is, &wait, WAIT_MS))
    g_error ("line %u is %s, not %s; last error: %s", kl_sip_line1_get_index (line), kl_sip_line1_get_state (line),
             state, kl_sip_line1_get_last_error (line));
}

/* The first flow's round trip of its last keep-alive, -1 before the first. */
static gint32
flow_rtt (KlSipLine1 *line)
{
  GVariant *flows = kl_sip_line1_get_flows (line);
  g_autoptr (GVariant) flow = NULL;
  gint32 rtt = -1;

  if (flows != NULL && g_variant_n_children (flows) > 0) {
    flow = g_variant_get_child_value (flows, 0);
    kl_test_lookup (flow, "rtt-ms", "i", &rtt);
  }
  return rtt;
}

static gboolean
keepalive_answered (gpointer data)
{
  return flow_rtt (data) >= 0;
}

/* Registration */

static void
test_binding_carries_instance_reg_id_and_ob (Fixture *f, gconstpointer data)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;
  g_autoptr (KlSipLine1) line2 = NULL;
  g_autofree char *bindings = NULL;
  g_autofree char *urn = sipd_instance_id_from_mac (MAC);
  g_autofree char *instance = g_strdup_printf ("Instance: <%s>", urn);
  g_autofree char *registrar = g_strdup_printf ("%s:%u", SERVER, f->transport->port);

  write_config (f, trust, NULL);
  start_sipd (f);
  line1 = line_proxy (f, 1);
  line2 = line_proxy (f, 2);
  wait_for_state (line1, "registered");
  wait_for_state (line2, "registered");

  g_assert_true (kl_sip_line1_get_outbound (line1));
  g_assert_cmpstr (kl_sip_line1_get_registrar (line1), ==, registrar);
  g_assert_cmpstr (kl_sip_line1_get_last_error (line1), ==, "");

  bindings = kl_test_kamailio_bindings (f->kamailio, "1001");
  g_test_message ("Kamailio's binding of 1001:\n%s", bindings);
  g_assert_nonnull (strstr (bindings, instance));
  g_assert_nonnull (strstr (bindings, "Reg-Id: 1"));
  g_assert_nonnull (strstr (bindings, ";ob"));
  if (f->transport->transport != NULL)
    g_assert_nonnull (strstr (bindings, f->transport->transport));
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->kamailio, "1001"), ==, 1);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->kamailio, "1002"), ==, 1);

  if (f->transport->persistent) {
    /* one TLS connection from local port 15061 carries both lines */
    g_autofree char *other = kl_test_kamailio_bindings (f->kamailio, "1002");
    g_assert_nonnull (strstr (bindings, "Received: sip:127.0.0.1:15061;transport=tls"));
    g_assert_nonnull (strstr (other, "Received: sip:127.0.0.1:15061;transport=tls"));
  }
}

/* Keep-alive: CRLF pongs on TCP and TLS, STUN answers on UDP */

static void
test_keepalive_is_answered (Fixture *f, gconstpointer data)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;

  write_config (f, trust, "sip outbound keep alive timer: 1\n");
  start_sipd (f);
  line1 = line_proxy (f, 1);
  wait_for_state (line1, "registered");
  g_assert_true (kl_test_wait_until (keepalive_answered, line1, WAIT_MS));
  g_assert_cmpint (flow_rtt (line1), <, 1000);
  /* still up after several keep-alive rounds */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpstr (kl_sip_line1_get_state (line1), ==, "registered");
}

/* Recovery */

typedef struct {
  KlSipLine1 *line;
  guint failures;
} FailureWait;

static guint
flow_failures (KlSipLine1 *line, const char **ret_reason)
{
  GVariant *flows = kl_sip_line1_get_flows (line);
  g_autoptr (GVariant) flow = NULL;
  guint failures = 0;

  *ret_reason = "";
  if (flows != NULL && g_variant_n_children (flows) > 0) {
    flow = g_variant_get_child_value (flows, 0);
    kl_test_lookup (flow, "failures", "u", &failures);
    kl_test_lookup (flow, "last-failure", "&s", ret_reason);
  }
  return failures;
}

static gboolean
flow_failed_once_and_registered (gpointer data)
{
  KlSipLine1 *line = data;
  const char *reason;

  return flow_failures (line, &reason) == 1 && g_strcmp0 (kl_sip_line1_get_state (line), "registered") == 0;
}

static void
test_server_resetting_the_connection_re_registers_on_a_new_flow (Fixture *f, gconstpointer data)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const char *reason;

  write_config (f, trust, NULL);
  start_sipd (f);
  line1 = line_proxy (f, 1);
  wait_for_state (line1, "registered");
  before = kl_test_kamailio_bindings (f->kamailio, "1001");

  kl_test_kamailio_reset_connections (f->kamailio);
  g_assert_true (kl_test_wait_until (flow_failed_once_and_registered, line1, WAIT_MS));
  flow_failures (line1, &reason);
  g_assert_cmpstr (reason, ==, "connection reset by the server");

  /* one binding, on the new connection: the old one was replaced, not added to */
  after = kl_test_kamailio_bindings (f->kamailio, "1001");
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->kamailio, "1001"), ==, 1);
  g_assert_cmpstr (before, !=, after);
}

/* TLS */

static gboolean
has_last_error (gpointer data)
{
  const char *error = kl_sip_line1_get_last_error (data);
  return error != NULL && *error != '\0';
}

static void
test_untrusted_server_certificate_gives_no_registration_and_a_clear_error (Fixture *f, gconstpointer data)
{
  g_autofree char *other = g_build_filename (certdir, "other-ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;
  const char *error;

  write_config (f, other, NULL);
  start_sipd (f);
  line1 = line_proxy (f, 1);
  g_assert_true (kl_test_wait_until (has_last_error, line1, WAIT_MS));
  error = kl_sip_line1_get_last_error (line1);
  g_test_message ("LastError: %s", error);
  g_assert_nonnull (strstr (error, "certificate"));
  g_assert_cmpstr (kl_sip_line1_get_state (line1), !=, "registered");
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->kamailio, "1001"), ==, 0);
}

/* Inbound requests over the flow */

typedef struct {
  char *from;
  char *body;
  gboolean call;
} Received;

static void
on_message_received (KlSipLine1 *line, const char *from, const char *content_type, const char *body, gpointer data)
{
  Received *received = data;
  received->from = g_strdup (from);
  received->body = g_strdup (body);
}

static void
on_incoming_call (KlSipLine1 *line, const char *from, const char *call_id, const char *call, gpointer data)
{
  Received *received = data;
  received->call = TRUE;
}

static gboolean
got_message (gpointer data)
{
  return ((Received *) data)->body != NULL;
}

static gboolean
got_call (gpointer data)
{
  return ((Received *) data)->call;
}

static void
test_requests_to_the_line_arrive_over_its_flow (Fixture *f, gconstpointer data)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;
  Received received = { NULL, NULL, FALSE };
  const char *options[] = { "options", "1001", SERVER, NULL };
  const char *message[] = { "message", "1001", SERVER, "hello from the test", NULL };
  const char *invite[] = { "invite", "1001", SERVER, NULL };
  g_autofree char *out = NULL;

  write_config (f, trust, NULL);
  start_sipd (f);
  line1 = line_proxy (f, 1);
  wait_for_state (line1, "registered");
  g_signal_connect (line1, "message-received", G_CALLBACK (on_message_received), &received);
  g_signal_connect (line1, "incoming-call", G_CALLBACK (on_incoming_call), &received);

  g_assert_cmpint (kl_test_kamailio_inject (f->kamailio, options, NULL), ==, 0);
  g_assert_cmpint (kl_test_kamailio_inject (f->kamailio, message, NULL), ==, 0);
  g_assert_true (kl_test_wait_until (got_message, &received, WAIT_MS));
  g_assert_cmpstr (received.body, ==, "hello from the test");
  g_assert_nonnull (strstr (received.from, "tester"));

  /* nobody answers the phone: the injector cancels, sipd answers 487 */
  kl_test_kamailio_inject (f->kamailio, invite, &out);
  g_test_message ("injector: %s", out);
  g_assert_true (kl_test_wait_until (got_call, &received, WAIT_MS));
  g_free (received.from);
  g_free (received.body);
}

/* Subscriptions */

static gboolean
subscriptions_active (gpointer data)
{
  GVariant *subscriptions = kl_sip_line1_get_subscriptions (data);
  guint active = 0;

  for (gsize i = 0; subscriptions != NULL && i < g_variant_n_children (subscriptions); i++) {
    const char *state;
    g_variant_get_child (subscriptions, i, "(&s&s&s&s)", NULL, NULL, &state, NULL);
    active += g_strcmp0 (state, "active") == 0;
  }
  return subscriptions != NULL && active == g_variant_n_children (subscriptions) && active > 0;
}

static gboolean
messages_waiting (gpointer data)
{
  return kl_sip_line1_get_messages_waiting (data);
}

static gboolean
extension_busy (gpointer data)
{
  GVariant *states = kl_sip_line1_get_blf_states (data);
  const char *state = NULL;

  return states != NULL && g_variant_lookup (states, "1003", "&s", &state) && g_strcmp0 (state, "confirmed") == 0;
}

static void
test_mwi_and_blf_notifies_show_on_dbus (Fixture *f, gconstpointer data)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autoptr (KlSipLine1) line1 = NULL;
  g_autofree char *watchers = NULL;
  g_autofree char *blf_watcher = g_strdup_printf ("1003@%s:1001:dialog", SERVER);
  const char *mwi[] = { "mwi", "1001", SERVER, "3", "1", NULL };
  const char *blf[] = { "blf", "1003", SERVER, "confirmed", NULL };
  guint new_messages, old_messages;

  write_config (f, trust, "sip line1 explicit mwi subscription: 1\n"
                          "sip line1 blf extensions: 1003\n");
  start_sipd (f);
  line1 = line_proxy (f, 1);
  wait_for_state (line1, "registered");
  g_assert_true (kl_test_wait_until (subscriptions_active, line1, WAIT_MS));

  /* Kamailio's own table has both subscriptions of 1001 */
  watchers = kl_test_kamailio_subscriptions (f->kamailio);
  g_test_message ("Kamailio's watchers:\n%s", watchers);
  g_assert_nonnull (strstr (watchers, "message-summary"));
  g_assert_nonnull (strstr (watchers, blf_watcher));

  g_assert_cmpint (kl_test_kamailio_inject (f->kamailio, mwi, NULL), ==, 0);
  g_assert_true (kl_test_wait_until (messages_waiting, line1, WAIT_MS));
  g_variant_get (kl_sip_line1_get_voice_messages (line1), "(uu)", &new_messages, &old_messages);
  g_assert_cmpuint (new_messages, ==, 3);
  g_assert_cmpuint (old_messages, ==, 1);

  g_assert_cmpint (kl_test_kamailio_inject (f->kamailio, blf, NULL), ==, 0);
  g_assert_true (kl_test_wait_until (extension_busy, line1, WAIT_MS));
}

int
main (int argc, char **argv)
{
  int status;

  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_certificates_new ();

  for (guint i = 0; i < G_N_ELEMENTS (transports); i++) {
    g_autofree char *register_path = g_strdup_printf ("/e2e/%s/binding-carries-instance-reg-id-and-ob",
                                                      transports[i].name);
    g_autofree char *keepalive_path = g_strdup_printf ("/e2e/%s/keep-alive-is-answered", transports[i].name);
    g_autofree char *inbound_path = g_strdup_printf ("/e2e/%s/requests-to-the-line-arrive-over-its-flow",
                                                     transports[i].name);
    kl_test_e2e_add (register_path, Fixture, &transports[i], fixture_setup,
                     test_binding_carries_instance_reg_id_and_ob, fixture_teardown);
    kl_test_e2e_add (keepalive_path, Fixture, &transports[i], fixture_setup, test_keepalive_is_answered,
                     fixture_teardown);
    g_autofree char *events_path = g_strdup_printf ("/e2e/%s/mwi-and-blf-notifies-show-on-dbus",
                                                    transports[i].name);
    kl_test_e2e_add (inbound_path, Fixture, &transports[i], fixture_setup,
                     test_requests_to_the_line_arrive_over_its_flow, fixture_teardown);
    kl_test_e2e_add (events_path, Fixture, &transports[i], fixture_setup, test_mwi_and_blf_notifies_show_on_dbus,
                     fixture_teardown);
    if (transports[i].protocol != 1) {
      g_autofree char *reset_path = g_strdup_printf (
        "/e2e/%s/server-resetting-the-connection-re-registers-on-a-new-flow", transports[i].name);
      kl_test_e2e_add (reset_path, Fixture, &transports[i], fixture_setup,
                       test_server_resetting_the_connection_re_registers_on_a_new_flow, fixture_teardown);
    }
  }
  kl_test_e2e_add ("/e2e/tls/untrusted-server-certificate-gives-no-registration-and-a-clear-error", Fixture,
                   &transports[2], fixture_setup,
                   test_untrusted_server_certificate_gives_no_registration_and_a_clear_error, fixture_teardown);

  status = g_test_run ();
  kl_test_config_dir_remove (certdir);
  g_free (certdir);
  return status;
}
