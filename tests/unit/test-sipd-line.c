/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The line on a fake clock against scripted servers (sipd-test-world.h):
 * every row of DESIGN.md's failover table against every way a server fails,
 * failback, a failback that fails, a flapping primary, sipd restarted on the
 * backup, the dual flow, recovery in place without a backup, and the network.
 * The scripted servers' tables are the judge of where the line is registered
 * and subscribed, before the fault, while it lasts and after the server
 * returns; the timers are the RFC's, on the fake clock.
 *
 * Primary registrar and proxy 127.0.100.2, backup 127.0.100.3; the outbound
 * proxies are 127.0.100.6 in front of the primary and 127.0.100.7 in front of
 * the backup (or of the primary, in the rows with a backup outbound proxy
 * only), as in the end-to-end test against Kamailio. */
#include <string.h>

#include "kl-config.h"
#include "kl-test-bus.h"
#include "sipd-line.h"
#include "kl-test-failover.h"
#include "sipd-test-world.h"

#define PRIMARY "127.0.100.2"
#define BACKUP "127.0.100.3"
#define EDGE "127.0.100.6"
#define BACKUP_EDGE "127.0.100.7"
#define INSTANCE "urn:uuid:3c1e5b7a-942d-4f61-8a0c-6e52d719b344"
#define WAIT_MS (5 * 60 * 1000) /* of fake time */
#define FAULT_HOLD_MS 60000

static const KlTestRow no_backup = { "outbound-on/no-backup", TRUE, FALSE, FALSE, FALSE };
static const KlTestRow plain_no_backup = { "outbound-off/no-backup", FALSE, FALSE, FALSE, FALSE };
static const KlTestServers servers = { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };

typedef struct {
  const KlTestRow *row;
  KlTestFault fault;
  gboolean dual_flow;
} Case;

typedef struct {
  const Case *c;
  KlClock *clock;
  TestWorld *world;
  TestServer *primary;
  TestServer *backup;
  TestServer *edge;
  TestServer *backup_edge;
  KlConfig *config;
  SipdStack *stack;
  SipdLineContext context;
  SipdLine *line;
  KlSipLine1 *iface;
  guint failed_over;
  guint failed_back;
  char *why;
} Fixture;

static char *
line_config (const Case *c)
{
  GString *text = g_string_new ("sip local port: 0\n");

  kl_test_row_append_servers (text, c->row, &servers, c->fault == KL_TEST_FAULT_UDP_TIMEOUT);
  /* without outbound, only a refresh notices a silent server: every 45 s */
  g_string_append_printf (text,
                          "sip registration period: 60\n"
                          "sip registration retry timer: 30\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: secret1001\n"
                          "sip line1 explicit mwi subscription: 1\n"
                          "sip outbound dual flow: %d\n",
                          c->dual_flow);
  return g_string_free (text, FALSE);
}

static void
on_failed_over (KlSipLine1 *iface, const char *reason, gpointer data)
{
  ((Fixture *) data)->failed_over++;
}

static void
on_failed_back (KlSipLine1 *iface, const char *reason, gpointer data)
{
  ((Fixture *) data)->failed_back++;
}

static void
start_line (Fixture *f)
{
  f->line = sipd_line_new (1, &f->context);
  f->iface = sipd_line_get_iface (f->line);
  g_signal_connect (f->iface, "failed-over", G_CALLBACK (on_failed_over), f);
  g_signal_connect (f->iface, "failed-back", G_CALLBACK (on_failed_back), f);
  sipd_line_apply_config (f->line, f->config);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  SipdStackParams params = { 0 };

  f->c = data;
  f->clock = kl_clock_new_fake (7);
  f->world = test_world_new (f->clock);
  f->primary = test_world_add_server (f->world, PRIMARY);
  if (f->c->row->backup_proxy_and_registrar)
    f->backup = test_world_add_server (f->world, BACKUP);
  if (f->c->row->outbound_proxies) {
    f->edge = test_world_add_server (f->world, EDGE);
    f->backup_edge = test_world_add_server (f->world, BACKUP_EDGE);
  }
  text = line_config (f->c);
  f->config = kl_config_new (NULL);
  kl_config_parse_data (f->config, "local.cfg", text, strlen (text), diagnostics);
  kl_config_check (f->config, diagnostics);
  g_assert_cmpuint (kl_config_diagnostics_count_errors (diagnostics), ==, 0);
  sipd_stack_params_from_config (&params, f->config);
  f->stack = sipd_stack_new (f->clock, &params, &error);
  g_assert_no_error (error);
  f->context = (SipdLineContext) {
    .clock = f->clock,
    .stack = f->stack,
    .resolver = sipd_resolver_new (f->clock, NULL, 1),
    .instance_id = g_strdup (INSTANCE),
    .user_agent = g_strdup ("keepline-test"),
  };
  start_line (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->line, sipd_line_free);
  sipd_resolver_free (f->context.resolver);
  g_free (f->context.instance_id);
  g_free (f->context.user_agent);
  sipd_stack_free (f->stack);
  kl_config_unref (f->config);
  test_world_free (f->world);
  kl_clock_unref (f->clock);
  g_free (f->why);
}

/* Where the line is */

typedef struct {
  Fixture *f;
  KlTestPlace place;
} PlaceWait;

static TestServer *
server_at (Fixture *f, const char *address)
{
  return g_str_equal (address, PRIMARY) ? f->primary : f->backup;
}

static gboolean
is_at (gpointer data)
{
  PlaceWait *wait = data;
  Fixture *f = wait->f;
  const KlTestPlace *place = &wait->place;
  const char *other = g_str_equal (place->registrar, PRIMARY) ? BACKUP : PRIMARY;
  g_autofree char *aor = g_strdup_printf ("sip:1001@%s", place->registrar);
  g_autofree char *registrar = g_strdup_printf ("%s:5060", place->registrar);
  g_autofree char *tables = test_world_describe (f->world);
  GVariant *subscriptions = kl_sip_line1_get_subscriptions (f->iface);
  const char *subscription_state = NULL;
  guint elsewhere;

  if (g_strcmp0 (kl_sip_line1_get_state (f->iface), "registered") != 0)
    return kl_test_not_yet (&f->why, "line 1 is %s (%s; last error: %s)", kl_sip_line1_get_state (f->iface),
                    sipd_line_state_to_string (sipd_line_get_state (f->line)),
                    kl_sip_line1_get_last_error (f->iface));
  if (g_strcmp0 (kl_sip_line1_get_registrar (f->iface), registrar) != 0 ||
      g_strcmp0 (kl_sip_line1_get_aor (f->iface), aor) != 0 ||
      kl_sip_line1_get_on_backup (f->iface) != place->on_backup)
    return kl_test_not_yet (&f->why, "line 1 is registered as %s at %s, %s", kl_sip_line1_get_aor (f->iface),
                    kl_sip_line1_get_registrar (f->iface),
                    kl_sip_line1_get_on_backup (f->iface) ? "on backup" : "not on backup");
  elsewhere = place->other_unchecked || server_at (f, other) == NULL
                ? 0
                : test_world_count_bindings (f->world, other, "1001", NULL);
  if (test_world_count_bindings (f->world, place->registrar, "1001", NULL) != 1 || elsewhere != 0 ||
      test_world_count_bindings (f->world, place->registrar, "1001", place->edge) != 1)
    return kl_test_not_yet (&f->why, "want one binding at %s through %s, none at %s:\n%s", place->registrar,
                    place->edge ? place->edge : "no edge", other, tables);
  if (subscriptions != NULL && g_variant_n_children (subscriptions) > 0)
    g_variant_get_child (subscriptions, 0, "(&s&s&s&s)", NULL, NULL, &subscription_state, NULL);
  if (g_strcmp0 (subscription_state, "active") != 0)
    return kl_test_not_yet (&f->why, "the MWI subscription is %s on D-Bus", subscription_state ? subscription_state : "missing");
  elsewhere = place->other_unchecked || server_at (f, other) == NULL
                ? 0
                : test_world_count_subscriptions (f->world, other, NULL);
  if (test_world_count_subscriptions (f->world, place->registrar, NULL) != 1 || elsewhere != 0 ||
      test_world_count_subscriptions (f->world, place->registrar, place->edge) != 1)
    return kl_test_not_yet (&f->why, "want one subscription at %s through %s, none at %s:\n%s", place->registrar,
                    place->edge ? place->edge : "no edge", other, tables);
  return TRUE;
}

static void
assert_at (Fixture *f, KlTestPlace place, const char *when)
{
  PlaceWait wait = { f, place };

  if (!test_world_run (f->world, is_at, &wait, WAIT_MS))
    g_error ("%s: not registered and subscribed at %s%s%s: %s", when, place.registrar, place.edge ? " through " : "",
             place.edge ? place.edge : "", f->why);
}

static KlTestPlace
primary_place (const KlTestRow *row)
{
  return kl_test_primary_place (row, &servers);
}

static KlTestPlace
failover_place (const KlTestRow *row)
{
  return kl_test_failover_place (row, &servers);
}

/* Faults */

static TestServer *
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

  g_assert_true (sipd_line_register (f->line, &error));
  g_assert_no_error (error);
}

static void
start_fault (Fixture *f, TestServer *target)
{
  switch (f->c->fault) {
  case KL_TEST_FAULT_RESET:
    test_server_fail (target, TEST_FAULT_RESET);
    break;
  case KL_TEST_FAULT_FIN:
    test_server_fail (target, TEST_FAULT_FIN);
    break;
  case KL_TEST_FAULT_HUNG:
    test_server_fail (target, TEST_FAULT_HUNG);
    break;
  case KL_TEST_FAULT_BLACK_HOLE:
    test_server_fail (target, TEST_FAULT_BLACK_HOLE);
    break;
  case KL_TEST_FAULT_503:
  case KL_TEST_FAULT_500:
  case KL_TEST_FAULT_408:
    test_server_set_register_reply (target, kl_test_fault_status (f->c->fault));
    register_now (f);
    break;
  case KL_TEST_FAULT_UDP_TIMEOUT:
    test_server_fail (target, TEST_FAULT_HUNG);
    register_now (f);
    break;
  }
}

static void
end_fault (Fixture *f, TestServer *target)
{
  if (kl_test_fault_is_reply (f->c->fault))
    test_server_set_register_reply (target, 0);
  else
    test_server_recover (target);
}

static gboolean
line_rejected (gpointer data)
{
  Fixture *f = data;
  return sipd_line_get_state (f->line) == SIPD_LINE_STATE_REJECTED;
}

static void
test_failover_and_back (Fixture *f, gconstpointer data)
{
  TestServer *target = fault_target (f);
  KlTestPlace during = failover_place (f->c->row);

  assert_at (f, primary_place (f->c->row), "before the fault");
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);

  start_fault (f, target);
  if (!kl_test_row_fails_over (f->c->row, f->c->fault)) {
    g_assert_true (test_world_run (f->world, line_rejected, f, WAIT_MS));
    g_assert_cmpstr (kl_sip_line1_get_state (f->iface), ==, "failed");
    g_assert_nonnull (strstr (kl_sip_line1_get_last_error (f->iface), "from " PRIMARY));
    g_assert_cmpuint (f->failed_over, ==, 0);
    end_fault (f, target);
    assert_at (f, primary_place (f->c->row), "after the registrar answers again");
    return;
  }
  /* a refused REGISTER leaves the old binding at the primary until it expires */
  during.other_unchecked = during.other_unchecked || kl_test_fault_is_reply (f->c->fault);
  assert_at (f, during, "during the fault");
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_ON_BACKUP);
  g_assert_cmpstr (kl_sip_line1_get_phase (f->iface), ==, "on-backup");
  g_assert_true (kl_sip_line1_get_on_backup (f->iface));
  g_assert_cmpuint (f->failed_over, ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 1);
  g_assert_nonnull (strstr (kl_sip_line1_get_last_failover (f->iface), target == f->edge ? EDGE : PRIMARY));
  /* long enough for the probes of the primary to fail and back off */
  test_world_wait (f->world, FAULT_HOLD_MS);
  g_assert_cmpuint (f->failed_over, ==, 1);

  end_fault (f, target);
  assert_at (f, primary_place (f->c->row), "after the server returned");
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
  g_assert_false (kl_sip_line1_get_on_backup (f->iface));
  g_assert_cmpuint (f->failed_back, ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failbacks (f->iface), ==, 1);
  g_assert_cmpuint (f->failed_over, ==, 1);
}

static gboolean
refused_twice (gpointer data)
{
  return test_server_count_requests (data, "REGISTER") >= 2;
}

/* The primary answers the probe but refuses the REGISTER: the line returns to
 * the backup, still registered there, without a new failover; once the
 * primary registers again, it fails back. */
static void
test_failback_that_fails_returns_to_the_backup (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;
  KlTestPlace backup = failover_place (row);

  assert_at (f, primary_place (row), "before the crash");
  test_server_fail (f->primary, TEST_FAULT_FIN);
  assert_at (f, backup, "after the crash");

  test_server_set_register_reply (f->primary, 503);
  test_server_recover (f->primary);
  /* REGISTER goes to the registrar, through the primary edge proxy if there is one */
  g_assert_true (test_world_run (f->world, refused_twice, f->edge ? f->edge : f->primary, WAIT_MS));
  backup.other_unchecked = FALSE;
  assert_at (f, backup, "after the failbacks failed");
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_ON_BACKUP);
  g_assert_cmpuint (f->failed_over, ==, 1);
  g_assert_cmpuint (f->failed_back, ==, 0);

  test_server_set_register_reply (f->primary, 0);
  assert_at (f, primary_place (row), "after the primary registers again");
  g_assert_cmpuint (f->failed_back, ==, 1);
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
    test_server_fail (f->primary, TEST_FAULT_FIN);
    assert_at (f, failover_place (row), "after a crash");
    test_server_recover (f->primary);
    test_world_wait (f->world, 1000 + 2000 * i);
  }
  assert_at (f, primary_place (row), "after the primary stayed up");
  g_assert_cmpuint (f->failed_over, >=, 1);
  g_assert_cmpuint (f->failed_back, ==, f->failed_over);
}

/* sipd restarted while the primary is down: it finds the backup again, with
 * one binding and one subscription there, and returns when the primary does. */
static void
test_restart_on_the_backup_recovers (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;

  assert_at (f, primary_place (row), "before the crash");
  test_server_fail (f->primary, TEST_FAULT_FIN);
  assert_at (f, failover_place (row), "after the crash");

  sipd_line_say_goodbye (f->line);
  test_world_run (f->world, (gboolean (*) (gpointer)) sipd_line_is_quiet, f->line, 2000);
  g_clear_pointer (&f->line, sipd_line_free);
  g_assert_cmpuint (test_world_count_bindings (f->world, BACKUP, "1001", NULL), ==, 0);
  g_assert_cmpuint (test_world_count_subscriptions (f->world, BACKUP, NULL), ==, 0);
  f->failed_over = 0;
  start_line (f);
  assert_at (f, failover_place (row), "after sipd restarted");

  test_server_recover (f->primary);
  assert_at (f, primary_place (row), "after the primary returned");
  g_assert_cmpuint (f->failed_back, ==, 1);
}

typedef struct {
  Fixture *f;
  const char *edges[2];
} DualWait;

static gboolean
bindings_through (gpointer data)
{
  DualWait *wait = data;
  Fixture *f = wait->f;
  guint expected = wait->edges[1] ? 2 : 1;
  g_autofree char *tables = test_world_describe (f->world);

  if (g_strcmp0 (kl_sip_line1_get_state (f->iface), "registered") != 0 ||
      test_world_count_bindings (f->world, PRIMARY, "1001", NULL) != expected ||
      test_world_count_bindings (f->world, PRIMARY, "1001", wait->edges[0]) != 1 ||
      (wait->edges[1] && test_world_count_bindings (f->world, PRIMARY, "1001", wait->edges[1]) != 1) ||
      g_variant_n_children (kl_sip_line1_get_flows (f->iface)) != expected)
    return kl_test_not_yet (&f->why, "line 1 %s with %" G_GSIZE_FORMAT " flows:\n%s", kl_sip_line1_get_state (f->iface),
                    g_variant_n_children (kl_sip_line1_get_flows (f->iface)), tables);
  return TRUE;
}

static void
assert_bindings_through (Fixture *f, const char *edge, const char *second_edge, const char *when)
{
  DualWait wait = { f, { edge, second_edge } };

  if (!test_world_run (f->world, bindings_through, &wait, WAIT_MS))
    g_error ("%s: %s", when, f->why);
}

/* With "sip outbound dual flow", reg-id 1 goes through the primary outbound
 * proxy and reg-id 2 through the backup one; while the primary one is down,
 * reg-id 1 is through the backup; both again once it returns. */
static void
test_dual_flow_keeps_the_backup_registered (Fixture *f, gconstpointer data)
{
  SipdLinePath path;

  assert_bindings_through (f, EDGE, BACKUP_EDGE, "before the fault");
  g_assert_true (sipd_line_get_request_path (f->line, NULL, &path));
  g_assert_nonnull (strstr (path.route, EDGE));

  test_server_fail (f->edge, TEST_FAULT_RESET);
  assert_at (f, failover_place (f->c->row), "during the fault");
  assert_bindings_through (f, BACKUP_EDGE, NULL, "during the fault");
  g_assert_true (sipd_line_get_request_path (f->line, NULL, &path));
  g_assert_nonnull (strstr (path.route, BACKUP_EDGE));

  test_server_recover (f->edge);
  assert_bindings_through (f, EDGE, BACKUP_EDGE, "after the primary outbound proxy returned");
  g_assert_false (kl_sip_line1_get_on_backup (f->iface));
}

/* Without a backup, a failed flow is made again in place after the RFC 5626
 * back-off: 50-100 % of min (1800, 30 s · 2^1) for the first failure. */
static gboolean
line_backing_off (gpointer data)
{
  Fixture *f = data;
  return sipd_line_get_state (f->line) == SIPD_LINE_STATE_BACKING_OFF;
}

static void
test_without_a_backup_the_flow_recovers_in_place_after_the_backoff (Fixture *f, gconstpointer data)
{
  gint64 failed_at;
  GVariant *flows;
  g_autoptr (GVariant) flow = NULL;
  const char *state = NULL;

  assert_at (f, primary_place (f->c->row), "before the fault");
  test_server_fail (f->primary, TEST_FAULT_RESET);
  g_assert_true (test_world_run (f->world, line_backing_off, f, 1000));
  failed_at = kl_clock_now_ms (f->clock);
  g_assert_cmpstr (kl_sip_line1_get_state (f->iface), ==, "registering");
  g_assert_nonnull (strstr (kl_sip_line1_get_last_error (f->iface), "flow to " PRIMARY ":5060 failed"));
  flows = kl_sip_line1_get_flows (f->iface);
  g_assert_cmpuint (g_variant_n_children (flows), ==, 1);
  flow = g_variant_get_child_value (flows, 0);
  g_assert_true (g_variant_lookup (flow, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "backoff");

  test_server_recover (f->primary);
  assert_at (f, primary_place (f->c->row), "after the server returned");
  g_assert_cmpint (kl_clock_now_ms (f->clock) - failed_at, >=, 30000);
  g_assert_cmpint (kl_clock_now_ms (f->clock) - failed_at, <=, 60000 + 1000);
  g_assert_cmpuint (f->failed_over, ==, 0);
}

/* A line waiting out its back-off tries at once when the network comes back. */
static void
test_network_back_ends_the_backoff (Fixture *f, gconstpointer data)
{
  gint64 back_at;

  assert_at (f, primary_place (f->c->row), "before the fault");
  test_server_fail (f->primary, TEST_FAULT_RESET);
  g_assert_true (test_world_run (f->world, line_backing_off, f, 1000));
  test_server_recover (f->primary);
  back_at = kl_clock_now_ms (f->clock);
  sipd_line_network_gained (f->line, NULL);
  assert_at (f, primary_place (f->c->row), "after the network came back");
  g_assert_cmpint (kl_clock_now_ms (f->clock) - back_at, <, 1000);
}

/* A link down marks the flow suspect; the keep-alive that answers when the
 * link is back clears it. */
static gboolean
flow_is (Fixture *f, const char *wanted)
{
  GVariant *flows = kl_sip_line1_get_flows (f->iface);
  g_autoptr (GVariant) flow = g_variant_n_children (flows) > 0 ? g_variant_get_child_value (flows, 0) : NULL;
  const char *state = NULL;

  if (flow != NULL)
    g_assert_true (g_variant_lookup (flow, "state", "&s", &state));
  return g_strcmp0 (state, wanted) == 0;
}

static void
test_network_loss_makes_the_flow_suspect_until_it_answers (Fixture *f, gconstpointer data)
{
  assert_at (f, primary_place (f->c->row), "before the loss");
  sipd_line_network_lost (f->line);
  test_world_wait (f->world, 100);
  g_assert_true (flow_is (f, "suspect"));
  g_assert_cmpstr (kl_sip_line1_get_state (f->iface), ==, "registered");
  sipd_line_network_gained (f->line, NULL);
  test_world_wait (f->world, 100);
  g_assert_true (flow_is (f, "active"));
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
}

/* A silent primary: its flow is suspect a second after a ping goes
 * unanswered, and the line registers and subscribes at the backup then,
 * holding the primary. If the primary answers within the 10 s of RFC 5626
 * the backup is withdrawn and no failover counts; if not, the move completes
 * at the deadline. */
static gboolean
line_on_backup_settled (gpointer data)
{
  return sipd_line_get_state (((Fixture *) data)->line) == SIPD_LINE_STATE_ON_BACKUP;
}

static gboolean
line_settled_on_primary (gpointer data)
{
  return sipd_line_get_state (((Fixture *) data)->line) == SIPD_LINE_STATE_REGISTERED;
}

static gboolean
line_suspecting (gpointer data)
{
  return sipd_line_get_state (((Fixture *) data)->line) == SIPD_LINE_STATE_SUSPECTING;
}

static gboolean
backup_holds_the_line (gpointer data)
{
  Fixture *f = data;

  return test_world_count_bindings (f->world, BACKUP, "1001", NULL) == 1 &&
         test_world_count_subscriptions (f->world, BACKUP, NULL) == 1;
}

static gboolean
backup_withdrawn (gpointer data)
{
  Fixture *f = data;

  return sipd_line_get_state (f->line) == SIPD_LINE_STATE_REGISTERED &&
         test_world_count_bindings (f->world, BACKUP, "1001", NULL) == 0 &&
         test_world_count_subscriptions (f->world, BACKUP, NULL) == 0;
}

static gint64
suspect_and_register_at_the_backup (Fixture *f)
{
  gint64 suspected_at;

  assert_at (f, primary_place (f->c->row), "before the fault");
  start_fault (f, fault_target (f));
  g_assert_true (test_world_run (f->world, line_suspecting, f, 200000));
  suspected_at = kl_clock_now_ms (f->clock);
  g_assert_cmpstr (kl_sip_line1_get_state (f->iface), ==, "registered");
  g_assert_true (test_world_run (f->world, backup_holds_the_line, f, 1000));
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_SUSPECTING);
  g_assert_cmpuint (f->failed_over, ==, 0);
  return suspected_at;
}

static void
test_suspect_primary_that_answers_keeps_the_line_and_withdraws_the_backup (Fixture *f, gconstpointer data)
{
  suspect_and_register_at_the_backup (f);
  end_fault (f, fault_target (f));
  g_assert_true (test_world_run (f->world, backup_withdrawn, f, 2000));
  g_assert_cmpuint (kl_sip_line1_get_suspicions_cleared (f->iface), ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 0);
  g_assert_cmpuint (f->failed_over, ==, 0);
  assert_at (f, primary_place (f->c->row), "after the primary answered");
}

static void
test_suspect_primary_silent_until_the_deadline_completes_the_move (Fixture *f, gconstpointer data)
{
  gint64 suspected_at = suspect_and_register_at_the_backup (f);

  test_world_wait (f->world, 8000 - (kl_clock_now_ms (f->clock) - suspected_at));
  g_assert_cmpuint (f->failed_over, ==, 0);
  g_assert_true (test_world_run (f->world, line_on_backup_settled, f, 1500));
  g_assert_cmpuint (f->failed_over, ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_suspicions_cleared (f->iface), ==, 0);
  assert_at (f, failover_place (f->c->row), "after the deadline");
  end_fault (f, fault_target (f));
  assert_at (f, primary_place (f->c->row), "after the primary returned");
}

/* The primary answers while the backup has not answered the REGISTER yet:
 * the backup, once it reads it, is told Expires 0 right after. */
static void
test_suspicion_cleared_before_the_backup_answers_leaves_nothing_there (Fixture *f, gconstpointer data)
{
  assert_at (f, primary_place (f->c->row), "before the fault");
  test_server_fail (f->backup, TEST_FAULT_HUNG);
  test_server_fail (f->primary, TEST_FAULT_HUNG);
  g_assert_true (test_world_run (f->world, line_suspecting, f, 200000));
  test_world_wait (f->world, 300);
  test_server_recover (f->primary);
  g_assert_true (test_world_run (f->world, line_settled_on_primary, f, 2000));
  test_server_recover (f->backup);
  test_world_wait (f->world, 3000);
  g_assert_cmpuint (test_world_count_bindings (f->world, BACKUP, "1001", NULL), ==, 0);
  g_assert_cmpuint (kl_sip_line1_get_suspicions_cleared (f->iface), ==, 1);
  assert_at (f, primary_place (f->c->row), "after the primary answered");
}

/* A REGISTER refused with 403 and no backup: "failed", again after the
 * registration retry timer (30 s here). */
static void
test_refusal_without_a_backup_registers_again_after_the_retry_timer (Fixture *f, gconstpointer data)
{
  assert_at (f, primary_place (f->c->row), "before the refusal");
  test_server_set_register_reply (f->primary, 403);
  register_now (f);
  g_assert_true (test_world_run (f->world, line_rejected, f, 1000));
  g_assert_cmpstr (kl_sip_line1_get_last_error (f->iface), ==, "403 Fault from " PRIMARY ":5060");
  test_server_set_register_reply (f->primary, 0);
  test_world_wait (f->world, 29000);
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REJECTED);
  assert_at (f, primary_place (f->c->row), "after the retry timer");
}

/* RFC 5626 §11.6: a 430 to REGISTER says the edge lost this flow; the line
 * makes a new flow to the same server at once and stays where it is. A second
 * 430 in a row is a refusal like any other. */
static void
test_a_430_makes_a_new_flow_to_the_same_server (Fixture *f, gconstpointer data)
{
  guint registers;

  assert_at (f, primary_place (f->c->row), "before the 430");
  registers = test_server_count_requests (f->primary, "REGISTER");
  test_server_set_register_reply_once (f->primary, 430);
  register_now (f);
  test_world_wait (f->world, 5000);
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
  g_assert_cmpuint (f->failed_over, ==, 0);
  /* the refresh, then the REGISTER over the new flow, which replaced the
   * binding; the subscription's old dialog ended over the new flow */
  g_assert_cmpuint (test_server_count_requests (f->primary, "REGISTER"), ==, registers + 2);
  g_assert_cmpuint (test_world_count_bindings (f->world, PRIMARY, "1001", NULL), ==, 1);
  g_assert_cmpuint (test_world_count_subscriptions (f->world, PRIMARY, NULL), ==, 1);

  test_server_set_register_reply (f->primary, 430);
  register_now (f);
  g_assert_true (test_world_run (f->world, line_rejected, f, 1000));
  test_server_set_register_reply (f->primary, 0);
}

/* A registrar without outbound closes the idle connection (its idle
 * timeout): the line registers again over a new one at once, with no back-off
 * and no failover, and the binding of the old connection is removed in the
 * same REGISTER. A close right after registering is a failure as before. */
static void
remember_contacts (SipdMessage *request, gpointer user_data)
{
  GString *contacts = user_data;

  if (!g_str_equal (sipd_message_get_method (request), "REGISTER"))
    return;
  g_string_truncate (contacts, 0);
  for (const sip_contact_t *c = sipd_message_get_sip (request)->sip_contact; c != NULL; c = c->m_next) {
    g_autofree char *text = sipd_message_print_header (request, c);
    g_string_append_printf (contacts, "%s\n", text);
  }
}

static void
test_an_idle_close_without_outbound_registers_again_at_once (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) contacts = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  guint registers;

  assert_at (f, primary_place (f->c->row), "before the close");
  test_world_wait (f->world, 6000); /* idle */
  registers = test_server_count_requests (f->primary, "REGISTER");
  test_server_set_request_hook (f->primary, remember_contacts, contacts);
  test_server_close_connections (f->primary);
  test_world_wait (f->world, 200);
  test_server_set_request_hook (f->primary, NULL, NULL);
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
  g_test_message ("the REGISTER over the new connection:\n%s", contacts->str);
  lines = g_strsplit (g_strchomp (contacts->str), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_null (strstr (lines[0], "expires=0"));
  g_assert_nonnull (strstr (lines[1], "expires=0"));
  g_assert_cmpuint (test_server_count_requests (f->primary, "REGISTER"), ==, registers + 1);
  g_assert_cmpuint (test_world_count_bindings (f->world, PRIMARY, "1001", NULL), ==, 1);
  g_assert_cmpuint (test_world_count_subscriptions (f->world, PRIMARY, NULL), ==, 1);
  g_assert_cmpuint (f->failed_over, ==, 0);

  /* at once again: not an idle timeout, the line backs off */
  test_server_close_connections (f->primary);
  test_world_wait (f->world, 200);
  g_assert_cmpint (sipd_line_get_state (f->line), !=, SIPD_LINE_STATE_REGISTERED);
}

/* RFC 6223 against a registrar without outbound: every REGISTER offers keep
 * in its Via; a 200 with keep=N gets keep-alives every 80-100 % of N s
 * (CRLF on TCP, STUN on UDP), and a keep-alive that nobody answers fails
 * nothing. OPTIONS go on beside them, with or without keep=N: they alone
 * tell a hung registrar. */
#define KEEP_S 20
#define KEEP_WATCH_MS 130000

static void
remember_top_via (SipdMessage *request, gpointer user_data)
{
  GString *via = user_data;
  g_autofree char *text = NULL;

  if (!g_str_equal (sipd_message_get_method (request), "REGISTER"))
    return;
  text = sipd_message_print_header (request, sipd_message_get_sip (request)->sip_via);
  g_string_assign (via, text);
}

static guint
flow_keepalive_s (Fixture *f)
{
  GVariant *flows = kl_sip_line1_get_flows (f->iface);
  g_autoptr (GVariant) flow = NULL;
  guint32 keepalive_s = 0;

  g_assert_cmpuint (g_variant_n_children (flows), ==, 1);
  flow = g_variant_get_child_value (flows, 0);
  g_assert_true (g_variant_lookup (flow, "keep-alive-s", "u", &keepalive_s));
  return keepalive_s;
}

static void
watch_keepalives (Fixture *f, guint keep_s, guint *ret_pings, guint *ret_options)
{
  g_autoptr (GString) via = g_string_new (NULL);
  guint pings;
  guint options;

  test_server_set_keepalives (f->primary, keep_s, FALSE);
  test_server_set_request_hook (f->primary, remember_top_via, via);
  assert_at (f, primary_place (f->c->row), "before the keep-alives");
  test_server_set_request_hook (f->primary, NULL, NULL);
  g_test_message ("the REGISTER's top Via: %s", via->str);
  g_assert_true (g_str_has_suffix (via->str, ";keep") || strstr (via->str, ";keep;") != NULL);

  pings = test_server_count_requests (f->primary, TEST_PING);
  options = test_server_count_requests (f->primary, "OPTIONS");
  test_world_wait (f->world, KEEP_WATCH_MS);
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
  g_assert_cmpuint (f->failed_over, ==, 0);
  *ret_pings = test_server_count_requests (f->primary, TEST_PING) - pings;
  *ret_options = test_server_count_requests (f->primary, "OPTIONS") - options;
  g_test_message ("in %d s: %u keep-alives, %u OPTIONS", KEEP_WATCH_MS / 1000, *ret_pings, *ret_options);
}

static void
test_keep_n_gives_keepalives_every_n_seconds_beside_options (Fixture *f, gconstpointer data)
{
  guint pings;
  guint options;

  watch_keepalives (f, KEEP_S, &pings, &options);
  /* every 16-20 s, none answered, none a failure */
  g_assert_cmpuint (pings, >=, KEEP_WATCH_MS / (KEEP_S * 1000));
  g_assert_cmpuint (pings, <=, KEEP_WATCH_MS / (KEEP_S * 800) + 1);
  /* "sip keep alive options interval" 30, as without keep=N */
  g_assert_cmpuint (options, >=, KEEP_WATCH_MS / 45000);
  g_assert_cmpuint (options, <=, KEEP_WATCH_MS / 24000 + 1);
  g_assert_cmpuint (flow_keepalive_s (f), ==, KEEP_S);
}

static gboolean
line_left_registered (gpointer data)
{
  Fixture *f = data;

  return sipd_line_get_state (f->line) != SIPD_LINE_STATE_REGISTERED;
}

typedef struct {
  TestServer *server;
  guint before; /* REGISTERs it had */
} RegisterWait;

static gboolean
registered_again (gpointer data)
{
  RegisterWait *wait = data;

  return test_server_count_requests (wait->server, "REGISTER") > wait->before;
}

/* The registrar hangs just after a refresh: the next OPTIONS (within 30 s)
 * go unanswered before the next refresh could (45 s), whatever keep-alives
 * the registrar asked for. */
static void
test_keep_n_registrar_hung_is_noticed_by_options (Fixture *f, gconstpointer data)
{
  guint pings;
  guint options;
  RegisterWait refresh = { f->primary, 0 };
  gint64 hung_at;

  watch_keepalives (f, KEEP_S, &pings, &options);
  refresh.before = test_server_count_requests (f->primary, "REGISTER");
  g_assert_true (test_world_run (f->world, registered_again, &refresh, 60 * 1000));
  test_world_wait (f->world, 100);
  test_server_fail (f->primary, TEST_FAULT_HUNG);
  hung_at = kl_clock_now_ms (f->clock);
  g_assert_true (test_world_run (f->world, line_left_registered, f, 5 * 60 * 1000));
  g_test_message ("noticed %" G_GINT64_FORMAT " ms after the registrar hung: %s", kl_clock_now_ms (f->clock) - hung_at,
                  kl_sip_line1_get_last_error (f->iface));
  g_assert_cmpint (kl_clock_now_ms (f->clock) - hung_at, <, 45000);
  g_assert_nonnull (strstr (kl_sip_line1_get_last_error (f->iface), "OPTIONS"));
}

static void
test_without_keep_n_options_keep_the_flow_alive (Fixture *f, gconstpointer data)
{
  guint pings;
  guint options;

  watch_keepalives (f, 0, &pings, &options);
  /* "sip keep alive options interval" 30: every 24-30 s, the schedule
   * starting again at each refresh (every 45 s here) */
  g_assert_cmpuint (options, >=, KEEP_WATCH_MS / 45000);
  g_assert_cmpuint (options, <=, KEEP_WATCH_MS / 24000 + 1);
  g_assert_cmpuint (pings, ==, 0);
  g_assert_cmpuint (flow_keepalive_s (f), ==, 30);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);

  g_test_init (&argc, &argv, NULL);
  for (guint r = 0; r < KL_TEST_N_ROWS; r++) {
    for (KlTestFault fault = 0; fault < KL_TEST_N_FAULTS; fault++) {
      Case *c;
      g_autofree char *path = NULL;

      if (!kl_test_fault_applies (&kl_test_rows[r], fault))
        continue;
      c = g_new0 (Case, 1);
      c->row = &kl_test_rows[r];
      c->fault = fault;
      g_ptr_array_add (cases, c);
      path = g_strdup_printf ("/sipd/line/failover/%s/%s", kl_test_rows[r].name, kl_test_fault_name (fault));
      g_test_add (path, Fixture, c, fixture_setup, test_failover_and_back, fixture_teardown);
    }
  }
  for (guint r = 0; r < KL_TEST_N_ROWS; r++) {
    static const char *const tests[] = { "failback-that-fails-returns-to-the-backup",
                                         "flapping-primary-leaves-nothing-stale",
                                         "sipd-restarted-on-the-backup-recovers" };
    static void (*const funcs[]) (Fixture *, gconstpointer) = { test_failback_that_fails_returns_to_the_backup,
                                                                test_flapping_primary_leaves_nothing_stale,
                                                                test_restart_on_the_backup_recovers };
    Case *c;

    if (!kl_test_rows[r].backup_proxy_and_registrar)
      continue; /* the primary registrar has no backup there */
    c = g_new0 (Case, 1);
    c->row = &kl_test_rows[r];
    c->fault = KL_TEST_FAULT_FIN;
    g_ptr_array_add (cases, c);
    for (guint t = 0; t < G_N_ELEMENTS (tests); t++) {
      g_autofree char *path = g_strdup_printf ("/sipd/line/%s/%s", kl_test_rows[r].name, tests[t]);
      g_test_add (path, Fixture, c, fixture_setup, funcs[t], fixture_teardown);
    }
  }
  {
    static const Case dual = { &kl_test_rows[5], KL_TEST_FAULT_RESET, TRUE };
    static const Case alone = { &no_backup, KL_TEST_FAULT_RESET, FALSE };
    static const Case plain_alone = { &plain_no_backup, KL_TEST_FAULT_FIN, FALSE };
    /* the UDP time-out fault is what makes line_config choose UDP */
    static const Case plain_udp_alone = { &plain_no_backup, KL_TEST_FAULT_UDP_TIMEOUT, FALSE };

    g_test_add ("/sipd/line/outbound-on/backup-outbound-proxy-only/dual-flow-keeps-the-backup-registered", Fixture,
                &dual, fixture_setup, test_dual_flow_keeps_the_backup_registered, fixture_teardown);
    g_test_add ("/sipd/line/no-backup/flow-recovers-in-place-after-the-backoff", Fixture, &alone, fixture_setup,
                test_without_a_backup_the_flow_recovers_in_place_after_the_backoff, fixture_teardown);
    g_test_add ("/sipd/line/no-backup/network-back-ends-the-backoff", Fixture, &alone, fixture_setup,
                test_network_back_ends_the_backoff, fixture_teardown);
    g_test_add ("/sipd/line/no-backup/network-loss-makes-the-flow-suspect-until-it-answers", Fixture, &alone,
                fixture_setup, test_network_loss_makes_the_flow_suspect_until_it_answers, fixture_teardown);
    static Case hung[2];

    for (guint r = 3; r <= 4; r++) {
      g_autofree char *cleared = g_strdup_printf ("/sipd/line/%s/suspect-primary-that-answers-keeps-the-line",
                                                  kl_test_rows[r].name);
      g_autofree char *failed = g_strdup_printf ("/sipd/line/%s/suspect-primary-silent-until-the-deadline-moves",
                                                 kl_test_rows[r].name);

      hung[r - 3] = (Case) { &kl_test_rows[r], KL_TEST_FAULT_HUNG, FALSE };
      g_test_add (cleared, Fixture, &hung[r - 3], fixture_setup,
                  test_suspect_primary_that_answers_keeps_the_line_and_withdraws_the_backup, fixture_teardown);
      g_test_add (failed, Fixture, &hung[r - 3], fixture_setup,
                  test_suspect_primary_silent_until_the_deadline_completes_the_move, fixture_teardown);
    }
    g_test_add ("/sipd/line/outbound-on/backup-proxy-and-registrar/suspicion-cleared-before-the-backup-answers",
                Fixture, &hung[0], fixture_setup,
                test_suspicion_cleared_before_the_backup_answers_leaves_nothing_there, fixture_teardown);
    g_test_add ("/sipd/line/no-backup/refusal-registers-again-after-the-retry-timer", Fixture, &alone, fixture_setup,
                test_refusal_without_a_backup_registers_again_after_the_retry_timer, fixture_teardown);
    g_test_add ("/sipd/line/no-backup/a-430-makes-a-new-flow-to-the-same-server", Fixture, &alone, fixture_setup,
                test_a_430_makes_a_new_flow_to_the_same_server, fixture_teardown);
    g_test_add ("/sipd/line/outbound-off/no-backup/an-idle-close-registers-again-at-once", Fixture, &plain_alone,
                fixture_setup, test_an_idle_close_without_outbound_registers_again_at_once, fixture_teardown);
    g_test_add ("/sipd/line/outbound-off/no-backup/keep-n-gives-crlf-every-n-s-beside-options", Fixture,
                &plain_alone, fixture_setup, test_keep_n_gives_keepalives_every_n_seconds_beside_options,
                fixture_teardown);
    g_test_add ("/sipd/line/outbound-off/no-backup/keep-n-gives-stun-on-udp-every-n-s-beside-options", Fixture,
                &plain_udp_alone, fixture_setup, test_keep_n_gives_keepalives_every_n_seconds_beside_options,
                fixture_teardown);
    g_test_add ("/sipd/line/outbound-off/no-backup/keep-n-registrar-hung-is-noticed-by-options", Fixture,
                &plain_alone, fixture_setup, test_keep_n_registrar_hung_is_noticed_by_options, fixture_teardown);
    g_test_add ("/sipd/line/outbound-off/no-backup/without-keep-n-options-keep-the-flow-alive", Fixture,
                &plain_alone, fixture_setup, test_without_keep_n_options_keep_the_flow_alive, fixture_teardown);
  }
  return g_test_run ();
}
