/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line whose server is an SRV cluster, on a fake clock: scripted nodes on
 * 127.0.104.2 and .3 (priority 10) and .4 (priority 20), each keeping its own
 * bindings, found through scripted DNS records for srv.test. When the line
 * had to settle on a worse priority, a probe watches the better targets; one
 * that answers again gets the line back, make before break, and the node it
 * leaves is told to drop its binding. Among targets of one priority the line
 * stays where it is. */
#include <string.h>

#include "kl-test-dns-source.h"
#include "sipd-line.h"
#include "sipd-test-phone.h"
#include "sipd-test-world.h"

#define NODE_A "127.0.104.2"
#define NODE_B "127.0.104.3"
#define NODE_LOW "127.0.104.4"
#define WAIT_MS (5 * 60 * 1000) /* of fake time */
/* the probe's longest wait after its doublings, 10 s × 2³, and a REGISTER */
#define PROBE_MAX_MS (80 * 1000 + 5000)

typedef struct {
  KlClock *clock;
  TestWorld *world;
  TestServer *a;
  TestServer *b; /* NULL in the cases with one target of priority 10 */
  TestServer *low;
  KlTestDnsSource *dns;
  TestPhone phone;
  SipdLine *line;
  KlSipLine1 *iface;
  guint unregisters_at_low; /* REGISTERs with Expires 0 that reached the low node */
  guint left_registered;    /* times the State property left "registered" */
  guint returns;            /* times the Phase property became "returning" */
  gboolean was_returning;
  gboolean was_registered;
} Fixture;

static void
on_request_at_low (SipdMessage *request, gpointer user_data)
{
  Fixture *f = user_data;
  sip_t *sip = sipd_message_get_sip (request);

  if (sip->sip_request->rq_method == sip_method_register && sip->sip_contact != NULL &&
      ((sip->sip_contact->m_expires != NULL && strcmp (sip->sip_contact->m_expires, "0") == 0) ||
       (sip->sip_expires != NULL && sip->sip_expires->ex_delta == 0)))
    f->unregisters_at_low++;
}

static void
on_state (GObject *iface, GParamSpec *pspec, gpointer user_data)
{
  Fixture *f = user_data;
  gboolean registered = g_strcmp0 (kl_sip_line1_get_state (f->iface), "registered") == 0;

  if (f->was_registered && !registered)
    f->left_registered++;
  f->was_registered = registered;
}

static void
on_phase (GObject *iface, GParamSpec *pspec, gpointer user_data)
{
  Fixture *f = user_data;

  gboolean returning = g_strcmp0 (kl_sip_line1_get_phase (f->iface), "returning") == 0;

  if (returning && !f->was_returning)
    f->returns++;
  f->was_returning = returning;
}

static TestServer *
add_node (Fixture *f, const char *address)
{
  TestServer *node = test_world_add_server (f->world, address);

  test_server_set_cluster (node, "srv.test");
  return node;
}

static void
add_record (Fixture *f, const char *name, guint priority, const char *address)
{
  g_autofree char *srv = g_strdup_printf ("_sip._tcp.srv.test 60 SRV %u 50 5060 %s", priority, name);
  g_autofree char *a = g_strdup_printf ("%s 60 A %s", name, address);

  kl_test_dns_source_add (f->dns, srv);
  kl_test_dns_source_add (f->dns, a);
}

static void
setup (Fixture *f, gconstpointer data)
{
  gboolean two_best = GPOINTER_TO_INT (data);
  static const char text[] = "sip local port: 0\n"
                             "sip outbound support: 1\n"
                             "sip transport protocol: 2\n"
                             "sip proxy ip: srv.test\n"
                             "sip proxy port: 0\n"
                             "sip line1 user name: 1001\n"
                             "sip line1 password: secret1001\n";
  KlDnsSource source;

  f->clock = kl_clock_new_fake (7);
  f->world = test_world_new (f->clock);
  f->dns = kl_test_dns_source_new ();
  f->a = add_node (f, NODE_A);
  add_record (f, "a.srv.test", 10, NODE_A);
  if (two_best) {
    f->b = add_node (f, NODE_B);
    add_record (f, "b.srv.test", 10, NODE_B);
  }
  f->low = add_node (f, NODE_LOW);
  add_record (f, "low.srv.test", 20, NODE_LOW);
  test_server_set_request_hook (f->low, on_request_at_low, f);

  test_phone_init (&f->phone, f->clock, text);
  source = kl_test_dns_source_get (f->dns);
  sipd_resolver_set_source (f->phone.context.resolver, &source);
  f->line = sipd_line_new (1, &f->phone.context);
  f->iface = sipd_line_get_iface (f->line);
  g_signal_connect (f->iface, "notify::state", G_CALLBACK (on_state), f);
  g_signal_connect (f->iface, "notify::phase", G_CALLBACK (on_phase), f);
  sipd_line_apply_config (f->line, f->phone.config);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->line, sipd_line_free);
  test_phone_clear (&f->phone);
  test_world_free (f->world);
  kl_test_dns_source_free (f->dns);
  kl_clock_unref (f->clock);
}

/* Where the line is */

typedef struct {
  Fixture *f;
  const char *node;
} NodeWait;

/* registered, with one binding at node and none at the others */
static gboolean
only_at (gpointer data)
{
  NodeWait *wait = data;
  Fixture *f = wait->f;
  const char *nodes[] = { NODE_A, NODE_B, NODE_LOW };

  if (sipd_line_get_state (f->line) != SIPD_LINE_STATE_REGISTERED)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++) {
    if (test_world_count_bindings (f->world, nodes[i], "1001", NULL) != (g_str_equal (nodes[i], wait->node) ? 1u : 0u))
      return FALSE;
  }
  return TRUE;
}

static void
assert_only_at (Fixture *f, const char *node, gint64 limit_ms, const char *when)
{
  NodeWait wait = { f, node };

  if (!test_world_run (f->world, only_at, &wait, limit_ms)) {
    g_autofree char *tables = test_world_describe (f->world);
    g_error ("%s: line 1 is %s, not registered at %s alone:\n%s", when,
             sipd_line_state_to_string (sipd_line_get_state (f->line)), node, tables);
  }
}

/* the node of priority 10 the line is registered at */
static const char *
best_node_in_use (Fixture *f)
{
  if (test_world_count_bindings (f->world, NODE_A, "1001", NULL) == 1)
    return NODE_A;
  if (f->b != NULL && test_world_count_bindings (f->world, NODE_B, "1001", NULL) == 1)
    return NODE_B;
  return NULL;
}

static gboolean
has_best_binding (gpointer data)
{
  Fixture *f = data;
  return sipd_line_get_state (f->line) == SIPD_LINE_STATE_REGISTERED && best_node_in_use (f) != NULL;
}

static gboolean
has_returned (gpointer data)
{
  Fixture *f = data;
  return f->returns > 0;
}

/* Tests */

static void
test_the_line_returns_to_the_better_target_when_it_answers (Fixture *f, gconstpointer data)
{
  gint64 recovered_ms;
  gint64 returned_ms;

  assert_only_at (f, NODE_A, WAIT_MS, "at first");
  test_server_fail (f->a, TEST_FAULT_RESET);
  assert_only_at (f, NODE_LOW, WAIT_MS, "while the priority-10 node is down");
  f->left_registered = 0;

  /* a while down: the probe backs off */
  test_world_wait (f->world, 120 * 1000);
  g_assert_cmpint (sipd_line_get_state (f->line), ==, SIPD_LINE_STATE_REGISTERED);
  g_assert_cmpuint (f->unregisters_at_low, ==, 0);

  test_server_recover (f->a);
  recovered_ms = kl_clock_now_ms (f->clock);
  assert_only_at (f, NODE_A, PROBE_MAX_MS, "after the priority-10 node answers again");
  g_assert_cmpuint (f->returns, ==, 1);
  returned_ms = kl_clock_now_ms (f->clock) - recovered_ms;
  g_test_message ("returned %" G_GINT64_FORMAT " ms of fake time after the node answered again", returned_ms);
  g_assert_cmpint (returned_ms, <=, PROBE_MAX_MS);

  /* make before break: registered all the time, and the node it left was told */
  g_assert_cmpuint (f->left_registered, ==, 0);
  g_assert_cmpuint (f->unregisters_at_low, ==, 1);
  g_assert_cmpstr (kl_sip_line1_get_registrar (f->iface), ==, "srv.test");
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 0);

  /* on the best priority, nothing more is probed and the line stays */
  test_world_wait (f->world, 120 * 1000);
  assert_only_at (f, NODE_A, 1, "a while later");
  g_assert_cmpuint (f->unregisters_at_low, ==, 1);
}

/* A better target that answers the probe but refuses the REGISTER: the line
 * stays registered where it was, and tries again later, backed off. */
static void
test_a_return_that_fails_keeps_the_line_where_it_was (Fixture *f, gconstpointer data)
{
  assert_only_at (f, NODE_A, WAIT_MS, "at first");
  test_server_fail (f->a, TEST_FAULT_RESET);
  assert_only_at (f, NODE_LOW, WAIT_MS, "while the priority-10 node is down");
  f->left_registered = 0;

  test_server_set_register_reply (f->a, 403);
  test_server_recover (f->a);
  g_assert_true (test_world_run (f->world, has_returned, f, PROBE_MAX_MS));
  assert_only_at (f, NODE_LOW, WAIT_MS, "after the return was refused");
  g_assert_cmpuint (f->left_registered, ==, 0);
  g_assert_cmpuint (f->unregisters_at_low, ==, 0);

  test_server_set_register_reply (f->a, 0);
  assert_only_at (f, NODE_A, WAIT_MS, "once the node registers again");
  g_assert_cmpuint (f->left_registered, ==, 0);
  g_assert_cmpuint (f->unregisters_at_low, ==, 1);
}

/* RFC 2782: within a priority the weights share the load; none is preferred,
 * so the line does not move back among them. */
static void
test_the_line_stays_among_targets_of_one_priority (Fixture *f, gconstpointer data)
{
  const char *first;
  const char *other;

  g_assert_true (test_world_run (f->world, has_best_binding, f, WAIT_MS));
  first = best_node_in_use (f);
  other = g_str_equal (first, NODE_A) ? NODE_B : NODE_A;
  test_server_fail (g_str_equal (first, NODE_A) ? f->a : f->b, TEST_FAULT_RESET);
  assert_only_at (f, other, WAIT_MS, "after the first node failed");
  f->left_registered = 0;

  test_server_recover (g_str_equal (first, NODE_A) ? f->a : f->b);
  test_world_wait (f->world, 3 * PROBE_MAX_MS);
  assert_only_at (f, other, 1, "after the first node answers again");
  g_assert_cmpuint (f->left_registered, ==, 0);

  /* both down: the lower priority; one back: the line returns to it */
  test_server_fail (g_str_equal (other, NODE_A) ? f->a : f->b, TEST_FAULT_RESET);
  test_server_fail (g_str_equal (first, NODE_A) ? f->a : f->b, TEST_FAULT_RESET);
  assert_only_at (f, NODE_LOW, WAIT_MS, "with both priority-10 nodes down");
  test_server_recover (f->b);
  assert_only_at (f, NODE_B, PROBE_MAX_MS, "after one priority-10 node answers again");
  g_assert_cmpuint (f->unregisters_at_low, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sipd/target-probe/the-line-returns-to-the-better-target-when-it-answers", Fixture,
              GINT_TO_POINTER (FALSE), setup, test_the_line_returns_to_the_better_target_when_it_answers, teardown);
  g_test_add ("/sipd/target-probe/a-return-that-fails-keeps-the-line-where-it-was", Fixture, GINT_TO_POINTER (FALSE),
              setup, test_a_return_that_fails_keeps_the_line_where_it_was, teardown);
  g_test_add ("/sipd/target-probe/the-line-stays-among-targets-of-one-priority", Fixture, GINT_TO_POINTER (TRUE),
              setup, test_the_line_stays_among_targets_of_one_priority, teardown);
  return g_test_run ();
}
