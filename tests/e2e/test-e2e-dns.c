/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd and netmond against a real dnsmasq on 127.0.N.53:5353, authoritative
 * for keepline.test with a TTL of 5 s, and real Kamailio servers on 127.0.N.2,
 * .3 and .6, N the test's address block: registration through SRV to the
 * priority-10 server, the move to a changed A record within its TTL, sipd
 * alone without netmond, and bad answers (malformed, truncated, SERVFAIL,
 * none, no records) that leave the line where it is with a clear error on
 * D-Bus. */
#include <string.h>

#include "kl-test-dnsmasq.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define DOMAIN "keepline.test"
#define DNS_ADDR kl_test_e2e_address (53)
#define DNS_PORT 5353
#define TTL_S 5
#define SIP1 kl_test_e2e_address (2)
#define SIP2 kl_test_e2e_address (3)
#define SIP1_MOVED kl_test_e2e_address (6)
#define WAIT_MS 10000

static const char *certdir;

static const char *const *
zone (void)
{
  static const char *records[5];

  if (records[0] == NULL) {
    records[0] = g_strconcat ("A sip1.keepline.test ", SIP1, NULL);
    records[1] = g_strconcat ("A sip2.keepline.test ", SIP2, NULL);
    records[2] = "SRV _sip._tcp.keepline.test sip1.keepline.test 5060 10 60";
    records[3] = "SRV _sip._tcp.keepline.test sip2.keepline.test 5060 20 60";
  }
  return records;
}

typedef struct {
  KlTestKamailio *sip1;
  KlTestKamailio *sip2;
  KlTestKamailio *moved;
  KlTestDnsmasq *dns;
  GSubprocess *fault; /* dns-fault.py in dnsmasq's place */
  KlTestPhone *phone;
  KlNetMon1 *netmon;
  KlTestRegisteredWatch registered;
} Fixture;

static void
write_config (Fixture *f, const char *proxy, const char *extra)
{
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip outbound support: 1\n"
                                           "sip transport protocol: 2\n"
                                           "sip proxy ip: %s\n"
                                           "sip proxy port: 0\n"
                                           "sip dns server: %s:%u\n"
                                           "sip timer scale percent: 10\n"
                                           "sip transaction timer: 2000\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "%s",
                                           proxy, DNS_ADDR, DNS_PORT, extra ? extra : "");

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
}

static void
start_daemons (Fixture *f, gboolean with_netmond)
{
  g_autoptr (GError) error = NULL;

  if (with_netmond) {
    kl_test_phone_start_netmond (f->phone);
    f->netmon = kl_net_mon1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, "org.keepline.NetMon",
                                            "/org/keepline/NetMon", NULL, &error);
    g_assert_no_error (error);
  }
  kl_test_phone_start_sipd (f->phone);
  kl_test_watch_registered (G_DBUS_PROXY (f->phone->line), &f->registered);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->sip1 = kl_test_kamailio_start_full (NULL, SIP1, DOMAIN, certdir, 30);
  f->sip2 = kl_test_kamailio_start_full (NULL, SIP2, DOMAIN, certdir, 30);
  f->dns = kl_test_dnsmasq_start (DNS_ADDR, DNS_PORT, TTL_S, zone ());
  f->phone = kl_test_phone_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->netmon);
  kl_test_phone_free (f->phone);
  if (f->fault != NULL) {
    kl_test_process_stop (f->fault);
    g_clear_object (&f->fault);
  }
  g_clear_pointer (&f->dns, kl_test_dnsmasq_free);
  g_clear_pointer (&f->moved, kl_test_kamailio_free);
  kl_test_kamailio_free (f->sip2);
  kl_test_kamailio_free (f->sip1);
}

/* Waiting */

typedef struct {
  Fixture *f;
  KlTestKamailio *kamailio;
  guint count;
} BindingWait;

static gboolean
has_bindings (gpointer data)
{
  BindingWait *wait = data;
  return kl_test_kamailio_count_bindings (wait->kamailio, "1001") == wait->count;
}

static gboolean
wait_bindings (Fixture *f, KlTestKamailio *kamailio, guint count, guint timeout_ms)
{
  BindingWait wait = { f, kamailio, count };
  return kl_test_wait_until (has_bindings, &wait, timeout_ms);
}

/* The line's flow goes to address:port */
static char *
flow_remote (Fixture *f)
{
  GVariant *flows = kl_sip_line1_get_flows (f->phone->line);
  g_autoptr (GVariant) flow = NULL;
  const char *remote = "";

  if (flows != NULL && g_variant_n_children (flows) > 0) {
    flow = g_variant_get_child_value (flows, 0);
    kl_test_lookup (flow, "remote", "&s", &remote);
  }
  return g_strdup (remote);
}

typedef struct {
  Fixture *f;
  char *remote;
} RemoteWait;

static gboolean
flow_goes_to (gpointer data)
{
  RemoteWait *wait = data;
  g_autofree char *remote = flow_remote (wait->f);

  return g_str_equal (remote, wait->remote);
}

/* The flow goes to ADDRESS:5060; the properties follow the binding a moment later. */
static void
wait_for_remote (Fixture *f, const char *address)
{
  RemoteWait wait = { f, g_strdup_printf ("%s:5060", address) };

  if (!kl_test_wait_until (flow_goes_to, &wait, WAIT_MS)) {
    g_autofree char *remote = flow_remote (f);
    g_error ("the flow goes to '%s', not %s", remote, wait.remote);
  }
  g_free (wait.remote);
}

/* netmond's first target for keepline.test, as server_entry() gives it */
static const char *
first_target (const char *address)
{
  g_autofree char *text = g_strdup_printf ("%s:5060 (priority 10)", address);

  return g_intern_string (text);
}

/* netmond's entry for keepline.test in its Servers property, or NULL */
static GVariant *
find_entry (Fixture *f)
{
  GVariant *servers = kl_net_mon1_get_servers (f->netmon);

  for (gsize i = 0; servers != NULL && i < g_variant_n_children (servers); i++) {
    g_autoptr (GVariant) server = g_variant_get_child_value (servers, i);
    const char *host;

    kl_test_lookup (server, "host", "&s", &host);
    if (g_str_equal (host, "keepline.test"))
      return g_steal_pointer (&server);
  }
  return NULL;
}

/* netmond's entry for keepline.test: its state, first target and error */
static gboolean
server_entry (Fixture *f, char **ret_state, char **ret_first, char **ret_error)
{
  g_autoptr (GVariant) server = find_entry (f);
  g_autoptr (GVariant) targets = NULL;
  const char *state, *error, *address = NULL;
  guint16 port = 0, priority = 0;

  if (server == NULL)
    return FALSE;
  kl_test_lookup (server, "state", "&s", &state);
  kl_test_lookup (server, "error", "&s", &error);
  kl_test_lookup (server, "targets", "@aa{sv}", &targets);
  if (g_variant_n_children (targets) > 0) {
    g_autoptr (GVariant) first = g_variant_get_child_value (targets, 0);

    kl_test_lookup (first, "address", "&s", &address);
    kl_test_lookup (first, "port", "q", &port);
    kl_test_lookup (first, "priority", "q", &priority);
  }
  *ret_state = g_strdup (state);
  *ret_first = address ? g_strdup_printf ("%s:%u (priority %u)", address, port, priority) : g_strdup ("");
  *ret_error = g_strdup (error);
  return TRUE;
}

static gboolean
server_resolved (gpointer data)
{
  g_autofree char *state = NULL;
  g_autofree char *first = NULL;
  g_autofree char *error = NULL;

  return server_entry (data, &state, &first, &error) && g_str_equal (state, "resolved");
}

/* Both SRV targets known from an answer to every lookup: one lost on a
 * loaded machine leaves a target out of the first answer, and netmond asks
 * again within seconds. */
static gboolean
both_targets_known (gpointer data)
{
  g_autoptr (GVariant) server = find_entry (data);
  g_autoptr (GVariant) targets = NULL;
  const char *incomplete;

  if (server == NULL)
    return FALSE;
  kl_test_lookup (server, "targets", "@aa{sv}", &targets);
  kl_test_lookup (server, "incomplete", "&s", &incomplete);
  return g_variant_n_children (targets) == 2 && *incomplete == '\0';
}

/* SRV */

static void
test_registers_via_srv_to_the_priority_10_server (Fixture *f, gconstpointer data)
{
  g_autofree char *state = NULL;
  g_autofree char *first = NULL;
  g_autofree char *error = NULL;

  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip1, 1, WAIT_MS));
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->sip2, "1001"), ==, 0);
  wait_for_remote (f, SIP1);

  g_assert_true (kl_test_wait_until (server_resolved, f, WAIT_MS));
  g_assert_true (server_entry (f, &state, &first, &error));
  g_assert_cmpstr (state, ==, "resolved");
  g_assert_cmpstr (first, ==, first_target (SIP1));
  g_assert_cmpstr (error, ==, "");
  g_assert_cmpuint (kl_test_dnsmasq_count_queries (f->dns, "NAPTR", "keepline.test"), >=, 1);
  g_assert_cmpuint (kl_test_dnsmasq_count_queries (f->dns, "SRV", "_sip._tcp.keepline.test"), >=, 1);
  g_assert_cmpuint (kl_test_dnsmasq_count_queries (f->dns, "A", "sip1.keepline.test"), >=, 1);
}

static void
test_the_priority_20_server_takes_over_when_the_first_is_down (Fixture *f, gconstpointer data)
{

  kl_test_kamailio_kill (f->sip1);
  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip2, 1, WAIT_MS));
  wait_for_remote (f, SIP2);
}

/* RFC 3263 §4.3: a node of the SRV cluster that answers 503 sends the line
 * to the next target at once, with no backup server configured, instead of
 * waiting out its Retry-After. */
static void
test_a_503_from_the_first_srv_target_moves_to_the_next (Fixture *f, gconstpointer data)
{
  kl_test_kamailio_set_register_reply (f->sip1, 503);
  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip2, 1, WAIT_MS));
  wait_for_remote (f, SIP2);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->sip1, "1001"), ==, 0);
  g_assert_cmpuint (f->registered.left, ==, 0);
}

static void
test_sipd_without_netmond_resolves_srv_itself (Fixture *f, gconstpointer data)
{

  write_config (f, "keepline.test", NULL);
  start_daemons (f, FALSE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip1, 1, WAIT_MS));
  wait_for_remote (f, SIP1);
  g_assert_cmpuint (kl_test_dnsmasq_count_queries (f->dns, "SRV", "_sip._tcp.keepline.test"), >=, 1);
}

/* A changed A record */

static void
test_a_changed_a_record_moves_the_line_within_the_ttl (Fixture *f, gconstpointer data)
{
  guint queries_before;
  gint64 changed_at;
  gint64 moved_ms;

  f->moved = kl_test_kamailio_start_full (NULL, SIP1_MOVED, DOMAIN, certdir, 30);
  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip1, 1, WAIT_MS));
  f->registered.left = 0;

  queries_before = kl_test_dnsmasq_count_queries (f->dns, "A", "sip1.keepline.test");
  kl_test_dnsmasq_set_address (f->dns, "sip1.keepline.test", SIP1_MOVED);
  changed_at = g_get_monotonic_time ();
  g_assert_true (wait_bindings (f, f->moved, 1, (TTL_S + 3) * 1000));
  moved_ms = (g_get_monotonic_time () - changed_at) / 1000;
  g_test_message ("registered at the new address %" G_GINT64_FORMAT " ms after the A record changed", moved_ms);

  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  wait_for_remote (f, SIP1_MOVED);
  /* dnsmasq was asked again, as the TTL said, and the line never stopped being registered */
  g_assert_cmpuint (kl_test_dnsmasq_count_queries (f->dns, "A", "sip1.keepline.test"), >, queries_before);
  g_assert_cmpuint (f->registered.left, ==, 0);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->moved, "1001"), ==, 1);
}

/* Bad answers */

typedef struct {
  const char *mode;        /* of dns-fault.py */
  const char *dbus_error;  /* what Resolve of a name not watched gives */
  const char *state_error; /* what netmond's Servers entry says, in part */
} Fault;

static const Fault faults[] = {
  { "malformed", "org.keepline.NetMon.Error.Malformed", "runs past the end" },
  { "truncated", "org.keepline.NetMon.Error.Truncated", "cut short" },
  { "servfail", "org.keepline.NetMon.Error.ServerFailure", "SERVFAIL" },
  { "silent", "org.keepline.NetMon.Error.Timeout", "no answer" },
  { "nxdomain", "org.keepline.NetMon.Error.NotFound", "no such name" },
};

static void
start_fault_server (Fixture *f, const char *mode)
{
  g_autofree char *port = g_strdup_printf ("%u", DNS_PORT);
  const char *argv[] = { "python3", kl_test_source_path ("tests/e2e/dns-fault.py"), DNS_ADDR, port, mode, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  f->fault = kl_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, argv);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->fault));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
}

typedef struct {
  Fixture *f;
  const char *state_error;
} FailedWait;

static gboolean
server_failed (gpointer data)
{
  FailedWait *wait = data;
  g_autofree char *state = NULL;
  g_autofree char *first = NULL;
  g_autofree char *error = NULL;

  return server_entry (wait->f, &state, &first, &error) && g_str_equal (state, "failed") &&
         strstr (error, wait->state_error) != NULL;
}

static void
test_a_bad_answer_keeps_the_last_good_targets (Fixture *f, gconstpointer data)
{
  const Fault *fault = data;
  FailedWait wait = { f, fault->state_error };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) targets = NULL;
  g_autofree char *remote_error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *first = NULL;
  g_autofree char *message = NULL;
  g_autofree char *path = NULL;
  guint ttl;

  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_assert_true (wait_bindings (f, f->sip1, 1, WAIT_MS));
  g_assert_true (kl_test_wait_until (both_targets_known, f, WAIT_MS));
  f->registered.left = 0;

  /* the nameserver goes bad at the same address */
  g_clear_pointer (&f->dns, kl_test_dnsmasq_free);
  start_fault_server (f, fault->mode);

  /* the next resolution, when the TTL runs out, fails: netmond says why */
  if (!kl_test_wait_until (server_failed, &wait, (TTL_S + 10) * 1000)) {
    server_entry (f, &state, &first, &message);
    g_error ("netmond's keepline.test is %s (%s), not failed with '%s'", state, message, fault->state_error);
  }
  server_entry (f, &state, &first, &message);
  g_test_message ("netmond: %s: %s", state, message);
  /* and keeps the last good targets, which sipd goes on using */
  g_assert_cmpstr (first, ==, first_target (SIP1));
  g_assert_true (kl_net_mon1_call_resolve_sync (f->netmon, "keepline.test", 0, "tcp", &targets, &ttl, &path, NULL,
                                                &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (targets), ==, 2);
  g_assert_cmpuint (f->registered.left, ==, 0);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->sip1, "1001"), ==, 1);

  /* a name never resolved gets the error itself */
  g_assert_false (kl_net_mon1_call_resolve_sync (f->netmon, "other.keepline.test", 5060, "udp", NULL, NULL, NULL,
                                                 NULL, &error));
  remote_error = g_dbus_error_get_remote_error (error);
  g_test_message ("Resolve: %s: %s", remote_error, error->message);
  g_assert_cmpstr (remote_error, ==, fault->dbus_error);
  /* sipd is still there, and still registered */
  g_assert_true (kl_test_bus_wait_for_name (f->phone->bus, "org.keepline.Sip", TRUE));
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
}

static gboolean
line_says_why (gpointer data)
{
  Fixture *f = data;
  return strstr (kl_sip_line1_get_last_error (f->phone->line), "no such name") != NULL;
}

static void
test_a_name_with_no_records_is_a_clear_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *remote_error = NULL;

  write_config (f, "nothing.keepline.test", NULL);
  start_daemons (f, TRUE);
  if (!kl_test_wait_until (line_says_why, f, WAIT_MS))
    g_error ("line 1: %s, %s", kl_sip_line1_get_state (f->phone->line), kl_sip_line1_get_last_error (f->phone->line));
  g_test_message ("line 1: %s", kl_sip_line1_get_last_error (f->phone->line));
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), !=, "registered");

  g_assert_false (kl_net_mon1_call_resolve_sync (f->netmon, "nothing.keepline.test", 0, "tcp", NULL, NULL, NULL,
                                                 NULL, &error));
  remote_error = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote_error, ==, "org.keepline.NetMon.Error.NotFound");
}

/* Not a test: with KL_BENCH_DNS_SECONDS set (tests/bench/bench-link-dns.sh),
 * the DNS queries netmond sends in steady state for one line whose proxy is
 * found by SRV, against what the TTLs allow. KL_BENCH_DNS_TTL sets the TTL. */
static void
bench_queries_in_steady_state (void)
{
  guint seconds = (guint) g_ascii_strtoull (g_getenv ("KL_BENCH_DNS_SECONDS"), NULL, 10);
  const char *ttl_text = g_getenv ("KL_BENCH_DNS_TTL");
  guint ttl_s = ttl_text ? (guint) g_ascii_strtoull (ttl_text, NULL, 10) : 60;
  static const char *const asked[][2] = {
    { "NAPTR", "keepline.test" },     { "SRV", "_sip._tcp.keepline.test" }, { "A", "sip1.keepline.test" },
    { "AAAA", "sip1.keepline.test" }, { "A", "sip2.keepline.test" },        { "AAAA", "sip2.keepline.test" },
  };
  Fixture fixture = { 0 };
  Fixture *f = &fixture;
  guint total = 0;

  f->sip1 = kl_test_kamailio_start_full (NULL, SIP1, DOMAIN, certdir, 30);
  f->sip2 = kl_test_kamailio_start_full (NULL, SIP2, DOMAIN, certdir, 30);
  f->dns = kl_test_dnsmasq_start (DNS_ADDR, DNS_PORT, ttl_s, zone ());
  f->phone = kl_test_phone_new ();
  write_config (f, "keepline.test", NULL);
  start_daemons (f, TRUE);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
  g_usleep ((gulong) seconds * G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (asked); i++) {
    guint count = kl_test_dnsmasq_count_queries (f->dns, asked[i][0], asked[i][1]);
    g_print ("queries %s %s %u\n", asked[i][0], asked[i][1], count);
    total += count;
  }
  g_print ("queries total %u in %u s with TTL %u s: %.0f per hour; the TTLs allow %.0f per hour\n", total, seconds,
           ttl_s, total * 3600.0 / seconds, G_N_ELEMENTS (asked) * (3600.0 / ttl_s + 3600.0 / seconds));
  teardown (f, NULL);
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  if (getuid () != 0) {
    g_test_skip ("needs root: dnsmasq answers with authority only on an address of an interface");
    return g_test_run ();
  }
  certdir = kl_test_e2e_certificates ();
  if (g_getenv ("KL_BENCH_DNS_SECONDS") != NULL) {
    bench_queries_in_steady_state ();
    kl_test_config_dir_remove (certdir);
    return 0;
  }

#define ADD(path, func, data) kl_test_e2e_add ("/e2e/dns/" path, Fixture, data, setup, func, teardown)
  ADD ("registers-via-srv-to-the-priority-10-server", test_registers_via_srv_to_the_priority_10_server, NULL);
  ADD ("the-priority-20-server-takes-over-when-the-first-is-down",
       test_the_priority_20_server_takes_over_when_the_first_is_down, NULL);
  ADD ("sipd-without-netmond-resolves-srv-itself", test_sipd_without_netmond_resolves_srv_itself, NULL);
  ADD ("a-503-from-the-first-srv-target-moves-to-the-next", test_a_503_from_the_first_srv_target_moves_to_the_next,
       NULL);
  ADD ("a-changed-a-record-moves-the-line-within-the-ttl", test_a_changed_a_record_moves_the_line_within_the_ttl,
       NULL);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++) {
    g_autofree char *path = g_strdup_printf ("/e2e/dns/a-%s-answer-keeps-the-last-good-targets", faults[i].mode);
    kl_test_e2e_add (path, Fixture, &faults[i], setup, test_a_bad_answer_keeps_the_last_good_targets, teardown);
  }
  ADD ("a-name-with-no-records-is-a-clear-error", test_a_name_with_no_records_is_a_clear_error, NULL);
#undef ADD

  return kl_test_e2e_run ();
}
