/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Failover and failback against real Kamailio servers: each row of DESIGN.md's
 * failover table once, and each way a server fails once (the whole matrix of
 * rows and failures is tests/unit/test-sipd-line.c, on a fake clock); a
 * flapping primary, sipd restarted on the backup, and the dual flow.
 *
 * The primary registrar and proxy is 127.0.N.2, the backup 127.0.N.3; where a
 * row has outbound proxies, they are 127.0.N.6 in front of the primary and
 * 127.0.N.7 in front of the backup (or of the primary, in the rows with a
 * backup outbound proxy only); N is the address block of the test, or of the
 * shard of its cases that this run takes. Kamailio's own location and presence tables
 * are the judge of where the line is registered and subscribed: before the
 * fault, while it lasts, and after the server returns. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-failover.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define PRIMARY kl_test_e2e_address (2)
#define BACKUP kl_test_e2e_address (3)
#define EDGE kl_test_e2e_address (6)
#define BACKUP_EDGE kl_test_e2e_address (7)
#define WAIT_MS 40000
#define FAULT_HOLD_MS 2000

static const char *certdir;

/* Each row once and each way of failing once against real Kamailio; every
 * pairing of the two runs on a fake clock in tests/unit/test-sipd-line.c. */
static const struct {
  guint row;
  KlTestFault fault;
} matrix[] = {
  { 0, KL_TEST_FAULT_UDP_TIMEOUT }, /* only where the flow goes to the registrar */
  { 1, KL_TEST_FAULT_HUNG },
  { 2, KL_TEST_FAULT_BLACK_HOLE },
  { 3, KL_TEST_FAULT_RESET },
  { 3, KL_TEST_FAULT_503 },
  { 4, KL_TEST_FAULT_FIN },
  { 4, KL_TEST_FAULT_500 },
  { 5, KL_TEST_FAULT_408 }, /* the registrar has no backup there: no failover, the line retries */
};

typedef struct {
  const KlTestRow *row;
  KlTestFault fault;
  gboolean dual_flow;
} Case;

typedef struct {
  const Case *c;
  KlTestKamailio *primary;
  KlTestKamailio *backup;
  KlTestKamailio *edge;
  KlTestKamailio *backup_edge;
  KlTestPhone *phone;
  guint failed_over;
  guint failed_back;
} Fixture;

static void
on_failed_over (KlSipLine1 *line, const char *reason, gpointer data)
{
  Fixture *f = data;
  g_test_message ("FailedOver: %s", reason);
  f->failed_over++;
}

static void
on_failed_back (KlSipLine1 *line, const char *reason, gpointer data)
{
  Fixture *f = data;
  g_test_message ("FailedBack: %s", reason);
  f->failed_back++;
}

static const KlTestServers *
servers (void)
{
  static KlTestServers addresses;

  addresses = (KlTestServers) { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };
  return &addresses;
}

static char *
line_config (const Case *c)
{
  const KlTestRow *row = c->row;
  GString *text = g_string_new ("sip local port: 0\n");

  kl_test_row_append_servers (text, row, servers (), c->fault == KL_TEST_FAULT_UDP_TIMEOUT);
  /* Without outbound, nothing but a refresh notices a silent server: refresh
   * every 5 s. Over UDP, the REGISTER must time out before a STUN keep-alive. */
  g_string_append_printf (text,
                          "sip registration period: 30\n"
                          "sip registration retry timer: 30\n"
                          "sip registration renewal timer: %d\n"
                          "sip outbound keep alive timer: %d\n"
                          "sip transaction timer: 2000\n"
                          "sip timer scale percent: 10\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: secret1001\n"
                          "sip line1 explicit mwi subscription: 1\n"
                          "sip outbound dual flow: %d\n",
                          row->outbound ? 15 : 25, c->fault == KL_TEST_FAULT_UDP_TIMEOUT ? 120 : 1, c->dual_flow);
  return g_string_free (text, FALSE);
}

static void
start_sipd (Fixture *f)
{
  kl_test_phone_start_sipd (f->phone);
  g_signal_connect (f->phone->line, "failed-over", G_CALLBACK (on_failed_over), f);
  g_signal_connect (f->phone->line, "failed-back", G_CALLBACK (on_failed_back), f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *config = NULL;

  f->c = data;
  f->primary = kl_test_kamailio_start (PRIMARY, certdir, 30);
  if (f->c->row->backup_proxy_and_registrar)
    f->backup = kl_test_kamailio_start (BACKUP, certdir, 30);
  if (f->c->row->outbound_proxies) {
    f->edge = kl_test_kamailio_start (EDGE, certdir, 30);
    f->backup_edge = kl_test_kamailio_start (BACKUP_EDGE, certdir, 30);
  }
  f->phone = kl_test_phone_new ();
  config = line_config (f->c);
  kl_test_config_write (f->phone->config_dir, "local.cfg", config);
  start_sipd (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  g_clear_pointer (&f->primary, kl_test_kamailio_free);
  g_clear_pointer (&f->backup, kl_test_kamailio_free);
  g_clear_pointer (&f->edge, kl_test_kamailio_free);
  g_clear_pointer (&f->backup_edge, kl_test_kamailio_free);
}

/* Waiting on the line and on the servers' tables */

static KlTestKamailio *
registrar_at (Fixture *f, const char *addr)
{
  return g_str_equal (addr, PRIMARY) ? f->primary : f->backup;
}

typedef struct {
  Fixture *f;
  KlTestPlace place;
  char *aor;
  char *registrar;
  char *why;
} PlaceWait;

static gboolean
line_is_at (PlaceWait *wait)
{
  KlSipLine1 *line = wait->f->phone->line;
  /* the phase, not only the state: a move is over, failbacks counted */
  const char *phase = wait->place.on_backup ? "on-backup" : "registered";

  if (g_strcmp0 (kl_sip_line1_get_phase (line), phase) != 0) {
    g_free (wait->why);
    wait->why = g_strdup_printf ("line 1 is %s, not %s (last error: %s)", kl_sip_line1_get_phase (line), phase,
                                 kl_sip_line1_get_last_error (line));
    return FALSE;
  }
  if (g_strcmp0 (kl_sip_line1_get_registrar (line), wait->registrar) != 0 ||
      g_strcmp0 (kl_sip_line1_get_aor (line), wait->aor) != 0 ||
      kl_sip_line1_get_on_backup (line) != wait->place.on_backup) {
    g_free (wait->why);
    wait->why = g_strdup_printf ("line 1 is registered as %s at %s, %s", kl_sip_line1_get_aor (line),
                                 kl_sip_line1_get_registrar (line),
                                 kl_sip_line1_get_on_backup (line) ? "on backup" : "not on backup");
    return FALSE;
  }
  return TRUE;
}

/* Exactly one binding of 1001, at the right registrar, with the Path of the
 * right edge proxy; none at the other registrar. */
static gboolean
bindings_are_at (PlaceWait *wait)
{
  Fixture *f = wait->f;
  KlTestKamailio *registrar = registrar_at (f, wait->place.registrar);
  KlTestKamailio *other = registrar == f->primary ? f->backup : f->primary;
  g_autofree char *bindings = kl_test_kamailio_bindings (registrar, "1001");
  guint count = kl_test_kamailio_count_bindings (registrar, "1001");
  guint elsewhere = other && !wait->place.other_unchecked ? kl_test_kamailio_count_bindings (other, "1001") : 0;

  if (count != 1 || elsewhere != 0 || (wait->place.edge && strstr (bindings, wait->place.edge) == NULL)) {
    g_free (wait->why);
    wait->why = g_strdup_printf ("%s holds %u bindings of 1001 (want 1%s%s), the other registrar %u:\n%s",
                                 registrar->addr, count, wait->place.edge ? " through " : "",
                                 wait->place.edge ? wait->place.edge : "", elsewhere, bindings);
    return FALSE;
  }
  return TRUE;
}

/* Exactly one MWI subscription, at the proxy of the place; none at the other. */
static gboolean
watchers_are_at (PlaceWait *wait)
{
  Fixture *f = wait->f;
  KlTestKamailio *proxy = registrar_at (f, wait->place.registrar);
  KlTestKamailio *other = proxy == f->primary ? f->backup : f->primary;
  guint count = kl_test_kamailio_count_mwi_subscriptions (proxy, NULL);
  guint through_edge = kl_test_kamailio_count_mwi_subscriptions (proxy, wait->place.edge);
  guint elsewhere = wait->place.other_unchecked ? 0 : kl_test_kamailio_count_mwi_subscriptions (other, NULL);

  if (count != 1 || through_edge != 1 || elsewhere != 0) {
    g_autofree char *watchers = kl_test_kamailio_subscriptions (proxy);
    g_free (wait->why);
    wait->why = g_strdup_printf ("%s has %u MWI subscriptions (%u through %s), the other proxy %u:\n%s",
                                 proxy->addr, count, through_edge, wait->place.edge ? wait->place.edge : "no edge",
                                 elsewhere, watchers);
    return FALSE;
  }
  return TRUE;
}

static gboolean
subscription_active (PlaceWait *wait)
{
  GVariant *subscriptions = kl_sip_line1_get_subscriptions (wait->f->phone->line);
  const char *state = NULL;

  if (subscriptions != NULL && g_variant_n_children (subscriptions) > 0)
    g_variant_get_child (subscriptions, 0, "(&s&s&s&s)", NULL, NULL, &state, NULL);
  if (g_strcmp0 (state, "active") != 0) {
    g_free (wait->why);
    wait->why = g_strdup_printf ("the MWI subscription is %s on D-Bus", state ? state : "missing");
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_at (gpointer data)
{
  PlaceWait *wait = data;
  return line_is_at (wait) && bindings_are_at (wait) && subscription_active (wait) && watchers_are_at (wait);
}

static void
assert_at (Fixture *f, KlTestPlace place, const char *when)
{
  PlaceWait wait = { f, place, NULL, NULL, NULL };

  wait.aor = g_strdup_printf ("sip:1001@%s", place.registrar);
  wait.registrar = g_strdup_printf ("%s:5060", place.registrar);
  if (!kl_test_wait_until (is_at, &wait, WAIT_MS))
    g_error ("%s: not registered and subscribed at %s%s%s: %s", when, place.registrar,
             place.edge ? " through " : "", place.edge ? place.edge : "", wait.why);
  g_free (wait.aor);
  g_free (wait.registrar);
  g_free (wait.why);
}

static KlTestPlace
primary_place (const KlTestRow *row)
{
  return kl_test_primary_place (row, servers ());
}

static KlTestPlace
failover_place (const KlTestRow *row)
{
  return kl_test_failover_place (row, servers ());
}

/* Faults */

/* The server the fault hits: the one the line's flow goes to, or, for a
 * failure answer to REGISTER, the registrar. */
static KlTestKamailio *
fault_target (Fixture *f)
{
  if (f->edge != NULL && !kl_test_fault_is_reply (f->c->fault))
    return f->edge;
  return f->primary;
}

static void
register_now (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  kl_sip_line1_call_register_sync (f->phone->line, NULL, &error);
  g_assert_no_error (error);
}

static void
start_fault (Fixture *f, KlTestKamailio *target)
{
  switch (f->c->fault) {
  case KL_TEST_FAULT_RESET:
    kl_test_kamailio_reset_connections (target);
    kl_test_kamailio_kill (target);
    break;
  case KL_TEST_FAULT_FIN:
    kl_test_kamailio_kill (target);
    break;
  case KL_TEST_FAULT_HUNG:
    kl_test_kamailio_pause (target, TRUE);
    break;
  case KL_TEST_FAULT_BLACK_HOLE:
    kl_test_kamailio_black_hole (target, TRUE);
    break;
  case KL_TEST_FAULT_503:
  case KL_TEST_FAULT_500:
  case KL_TEST_FAULT_408:
    kl_test_kamailio_set_register_reply (target, kl_test_fault_status (f->c->fault));
    register_now (f);
    break;
  case KL_TEST_FAULT_UDP_TIMEOUT:
    kl_test_kamailio_pause (target, TRUE);
    register_now (f);
    break;
  }
}

static void
end_fault (Fixture *f, KlTestKamailio *target)
{
  switch (f->c->fault) {
  case KL_TEST_FAULT_RESET:
  case KL_TEST_FAULT_FIN:
    kl_test_kamailio_restart (target);
    break;
  case KL_TEST_FAULT_HUNG:
  case KL_TEST_FAULT_UDP_TIMEOUT:
    kl_test_kamailio_pause (target, FALSE);
    break;
  case KL_TEST_FAULT_BLACK_HOLE:
    kl_test_kamailio_black_hole (target, FALSE);
    break;
  case KL_TEST_FAULT_503:
  case KL_TEST_FAULT_500:
  case KL_TEST_FAULT_408:
    kl_test_kamailio_set_register_reply (target, 0);
    break;
  }
}

static gboolean
line_failed (gpointer data)
{
  return g_strcmp0 (kl_sip_line1_get_state (data), "failed") == 0;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static void
test_failover_and_back (Fixture *f, gconstpointer data)
{
  KlTestKamailio *target = fault_target (f);

  assert_at (f, primary_place (f->c->row), "before the fault");
  g_assert_false (kl_sip_line1_get_on_backup (f->phone->line));

  start_fault (f, target);
  if (!kl_test_row_fails_over (f->c->row, f->c->fault)) {
    g_autofree char *from_primary = g_strdup_printf ("from %s", PRIMARY);

    g_assert_true (kl_test_wait_until (line_failed, f->phone->line, WAIT_MS));
    g_assert_nonnull (strstr (kl_sip_line1_get_last_error (f->phone->line), from_primary));
    g_assert_cmpuint (f->failed_over, ==, 0);
    end_fault (f, target);
    assert_at (f, primary_place (f->c->row), "after the registrar answers again");
    return;
  }
  assert_at (f, failover_place (f->c->row), "during the fault");
  g_assert_true (kl_sip_line1_get_on_backup (f->phone->line));
  g_assert_cmpuint (f->failed_over, ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->phone->line), ==, 1);
  g_test_message ("failed over: %s", kl_sip_line1_get_last_failover (f->phone->line));
  /* long enough for the probes of the primary to fail and back off */
  (void) kl_test_wait_until (never, NULL, FAULT_HOLD_MS);

  end_fault (f, target);
  assert_at (f, primary_place (f->c->row), "after the server returned");
  g_assert_false (kl_sip_line1_get_on_backup (f->phone->line));
  g_assert_cmpuint (f->failed_back, ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failbacks (f->phone->line), ==, 1);
  g_assert_cmpuint (f->failed_over, ==, 1);
}

/* The primary crashes and returns three times, faster than the line settles;
 * in the end the line is back, and nothing is left anywhere else. */
static void
test_flapping_primary_leaves_nothing_stale (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;

  assert_at (f, primary_place (row), "before the first crash");
  for (guint i = 0; i < 3; i++) {
    kl_test_kamailio_kill (f->primary);
    assert_at (f, failover_place (row), "after a crash");
    kl_test_kamailio_restart (f->primary);
    (void) kl_test_wait_until (never, NULL, g_random_int_range (100, 1500));
  }
  assert_at (f, primary_place (row), "after the primary stayed up");
  g_assert_false (kl_sip_line1_get_on_backup (f->phone->line));
  /* a crash during a failback returns the line to the backup: no new failover */
  g_test_message ("%u failovers, %u failbacks", f->failed_over, f->failed_back);
  g_assert_cmpuint (f->failed_over, >=, 1);
  g_assert_cmpuint (f->failed_back, ==, f->failed_over);
}

/* Dual flow */

typedef struct {
  Fixture *f;
  const char *edges[2]; /* the edge proxies the bindings at the registrar come through */
  guint flows;
  char *why;
} DualWait;

static gboolean
flows_and_bindings_are (gpointer data)
{
  DualWait *wait = data;
  g_autofree char *bindings = kl_test_kamailio_bindings (wait->f->primary, "1001");
  guint count = kl_test_kamailio_count_bindings (wait->f->primary, "1001");
  GVariant *flows = kl_sip_line1_get_flows (wait->f->phone->line);
  guint expected = wait->edges[1] ? 2 : 1;
  guint active = 0;

  for (gsize i = 0; flows && i < g_variant_n_children (flows); i++) {
    g_autoptr (GVariant) flow = g_variant_get_child_value (flows, i);
    const char *state;

    kl_test_lookup (flow, "state", "&s", &state);
    active += g_str_equal (state, "active");
  }
  g_free (wait->why);
  wait->why = g_strdup_printf ("%u active flows on D-Bus, %u bindings at %s:\n%s", active, count, PRIMARY, bindings);
  return g_strcmp0 (kl_sip_line1_get_state (wait->f->phone->line), "registered") == 0 && active == wait->flows &&
         count == expected && strstr (bindings, wait->edges[0]) != NULL &&
         (wait->edges[1] == NULL || strstr (bindings, wait->edges[1]) != NULL);
}

static void
assert_bindings_through (Fixture *f, const char *edge, const char *second_edge, guint flows, const char *when)
{
  DualWait wait = { f, { edge, second_edge }, flows, NULL };

  if (!kl_test_wait_until (flows_and_bindings_are, &wait, WAIT_MS))
    g_error ("%s: %s", when, wait.why);
  g_free (wait.why);
}

static void
on_message_received (KlSipLine1 *line, const char *from, const char *content_type, const char *body, gpointer data)
{
  (*(guint *) data)++;
}

static gboolean
got_message (gpointer data)
{
  return *(guint *) data > 0;
}

static void
assert_reachable (Fixture *f)
{
  const char *message[] = { "message", "1001", PRIMARY, "are you there?", NULL };
  guint received = 0;
  gulong handler = g_signal_connect (f->phone->line, "message-received", G_CALLBACK (on_message_received), &received);

  g_autofree char *out = NULL;

  if (kl_test_kamailio_inject (f->primary, message, &out) != 0)
    g_error ("a MESSAGE to 1001 at %s was not answered 200:\n%s", PRIMARY, out);
  g_assert_true (kl_test_wait_until (got_message, &received, WAIT_MS));
  g_signal_handler_disconnect (f->phone->line, handler);
}

/* With "sip outbound dual flow", the registrar holds reg-id 1 through the
 * primary outbound proxy and reg-id 2 through the backup one: the phone is
 * reachable through either, and while the primary is down, through the backup. */
static void
test_dual_flow_keeps_the_backup_registered (Fixture *f, gconstpointer data)
{
  assert_bindings_through (f, EDGE, BACKUP_EDGE, 2, "before the fault");
  assert_reachable (f);

  kl_test_kamailio_reset_connections (f->edge);
  kl_test_kamailio_kill (f->edge);
  assert_at (f, failover_place (f->c->row), "during the fault");
  assert_bindings_through (f, BACKUP_EDGE, NULL, 1, "during the fault");
  assert_reachable (f);

  kl_test_kamailio_restart (f->edge);
  assert_bindings_through (f, EDGE, BACKUP_EDGE, 2, "after the primary outbound proxy returned");
  g_assert_false (kl_sip_line1_get_on_backup (f->phone->line));
  assert_reachable (f);
}

/* sipd restarted while the primary is down: it finds the backup again, with
 * one binding and one subscription there, and returns when the primary does. */
static void
test_restart_on_the_backup_recovers (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;

  assert_at (f, primary_place (row), "before the crash");
  kl_test_kamailio_kill (f->primary);
  assert_at (f, failover_place (row), "after the crash");

  kl_test_phone_stop_sipd (f->phone);
  start_sipd (f);
  assert_at (f, failover_place (row), "after sipd restarted");
  g_assert_true (kl_sip_line1_get_on_backup (f->phone->line));

  kl_test_kamailio_restart (f->primary);
  assert_at (f, primary_place (row), "after the primary returned");
  g_assert_cmpuint (f->failed_back, ==, 1);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);

  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++) {
    Case *c = g_new0 (Case, 1);
    g_autofree char *path = NULL;

    c->row = &kl_test_rows[matrix[i].row];
    c->fault = matrix[i].fault;
    g_ptr_array_add (cases, c);
    path = g_strdup_printf ("/e2e/failover/%s/%s", c->row->name, kl_test_fault_name (c->fault));
    kl_test_e2e_add (path, Fixture, c, fixture_setup, test_failover_and_back, fixture_teardown);
  }
  {
    static const Case on_backup_proxy_and_registrar = { &kl_test_rows[3], KL_TEST_FAULT_FIN, FALSE };
    static const Case on_backup_outbound_proxy_dual_flow = { &kl_test_rows[5], KL_TEST_FAULT_RESET, TRUE };
    kl_test_e2e_add ("/e2e/failover/outbound-on/backup-proxy-and-registrar/flapping-primary-leaves-nothing-stale",
                     Fixture, &on_backup_proxy_and_registrar, fixture_setup, test_flapping_primary_leaves_nothing_stale,
                     fixture_teardown);
    kl_test_e2e_add ("/e2e/failover/outbound-on/backup-proxy-and-registrar/sipd-restarted-on-the-backup-recovers",
                     Fixture, &on_backup_proxy_and_registrar, fixture_setup, test_restart_on_the_backup_recovers,
                     fixture_teardown);
    kl_test_e2e_add ("/e2e/failover/outbound-on/backup-outbound-proxy-only/dual-flow-keeps-the-backup-registered",
                     Fixture, &on_backup_outbound_proxy_dual_flow, fixture_setup,
                     test_dual_flow_keeps_the_backup_registered, fixture_teardown);
  }
  return kl_test_e2e_run ();
}
