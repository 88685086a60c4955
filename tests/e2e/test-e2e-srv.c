/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An SRV cluster against real servers: dnsmasq on 127.0.N.53:5353 gives
 * _sip._tcp.keepline.test three Kamailio nodes of priority 10 on 127.0.N.2,
 * .3 and .6 and one of priority 20 on .7, each keeping its own location
 * table. The line registers at a node of priority 10; when that node dies it
 * moves to another of priority 10; when all three are dead, to the priority-20
 * node; and when one of them runs again, the line's probe finds it and the
 * line returns to it, make before break, leaving no binding at the
 * priority-20 node. */
#include "kl-test-dnsmasq.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define DOMAIN "keepline.test"
#define DNS_ADDR kl_test_e2e_address (53)
#define DNS_PORT 5353
#define TTL_S 5
#define N_BEST 3
#define WAIT_MS 10000
/* the probe's longest wait at 10 %: 10 s doubled three times, scaled; and a REGISTER */
#define RETURN_MS 12000

static const char *certdir;

/* the node addresses: three of priority 10, then the priority-20 one */
static const char *
node_address (guint i)
{
  static const guint hosts[] = { 2, 3, 6, 7 };

  return kl_test_e2e_address (hosts[i]);
}

static const char *const *
zone (void)
{
  static const char *records[2 * (N_BEST + 1) + 1];

  if (records[0] == NULL) {
    for (guint i = 0; i <= N_BEST; i++) {
      records[2 * i] = g_strdup_printf ("A sip%u.keepline.test %s", i + 1, node_address (i));
      records[2 * i + 1] = g_strdup_printf ("SRV _sip._tcp.keepline.test sip%u.keepline.test 5060 %u 50", i + 1,
                                            i < N_BEST ? 10 : 20);
    }
  }
  return records;
}

typedef struct {
  KlTestKamailio *nodes[N_BEST + 1]; /* the last one is of priority 20 */
  KlTestDnsmasq *dns;
  KlTestPhone *phone;
  KlTestRegisteredWatch registered;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  static const char config[] = "sip local port: 0\n"
                               "sip outbound support: 1\n"
                               "sip transport protocol: 2\n"
                               "sip proxy ip: keepline.test\n"
                               "sip proxy port: 0\n"
                               "sip timer scale percent: 10\n"
                               "sip transaction timer: 2000\n"
                               "sip line1 user name: 1001\n"
                               "sip line1 password: secret1001\n";
  g_autofree char *text = g_strdup_printf ("%ssip dns server: %s:%u\n", config, DNS_ADDR, DNS_PORT);

  for (guint i = 0; i <= N_BEST; i++)
    f->nodes[i] = kl_test_kamailio_start_full (NULL, node_address (i), DOMAIN, certdir, 30);
  f->dns = kl_test_dnsmasq_start (DNS_ADDR, DNS_PORT, TTL_S, zone ());
  f->phone = kl_test_phone_new ();
  kl_test_config_write (f->phone->config_dir, "local.cfg", text);

  kl_test_phone_start_netmond (f->phone);
  kl_test_phone_start_sipd (f->phone);
  kl_test_watch_registered (G_DBUS_PROXY (f->phone->line), &f->registered);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  g_clear_pointer (&f->dns, kl_test_dnsmasq_free);
  for (guint i = 0; i <= N_BEST; i++)
    g_clear_pointer (&f->nodes[i], kl_test_kamailio_free);
}

/* Where the line is */

static gboolean
is_running (Fixture *f, guint i)
{
  return f->nodes[i]->pid > 0;
}

/* the node that holds the line's binding while the line is registered, and
 * no running node but it holds one; -1 while there is no such node */
static int
node_in_use (Fixture *f)
{
  int in_use = -1;

  if (g_strcmp0 (kl_sip_line1_get_state (f->phone->line), "registered") != 0)
    return -1;
  for (guint i = 0; i <= N_BEST; i++) {
    guint bindings = is_running (f, i) ? kl_test_kamailio_count_bindings (f->nodes[i], "1001") : 0;

    if (bindings > 1 || (bindings == 1 && in_use >= 0))
      return -1;
    if (bindings == 1)
      in_use = (int) i;
  }
  return in_use;
}

/* The flow goes to the node too; the properties follow the binding a moment later. */
static gboolean
flow_goes_to (Fixture *f, guint i)
{
  GVariant *flows = kl_sip_line1_get_flows (f->phone->line);
  g_autoptr (GVariant) flow = NULL;
  g_autofree char *want = g_strdup_printf ("%s:5060", node_address (i));
  const char *remote = "";

  if (flows != NULL && g_variant_n_children (flows) > 0) {
    flow = g_variant_get_child_value (flows, 0);
    kl_test_lookup (flow, "remote", "&s", &remote);
  }
  return g_str_equal (remote, want);
}

typedef struct {
  Fixture *f;
  int first; /* the nodes it may be at: first..last */
  int last;
  int found;
} NodeWait;

static gboolean
at_one_of (gpointer data)
{
  NodeWait *wait = data;

  wait->found = node_in_use (wait->f);
  return wait->found >= wait->first && wait->found <= wait->last && flow_goes_to (wait->f, (guint) wait->found);
}

/* Waits until the line is registered at one node of first..last alone, and
 * its flow goes there; returns that node. */
static guint
wait_at_one_of (Fixture *f, int first, int last, guint timeout_ms, const char *when)
{
  NodeWait wait = { f, first, last, -1 };

  if (!kl_test_wait_until (at_one_of, &wait, timeout_ms)) {
    g_autoptr (GString) tables = g_string_new (NULL);

    for (guint i = 0; i <= N_BEST; i++) {
      g_autofree char *bindings = is_running (f, i) ? kl_test_kamailio_bindings (f->nodes[i], "1001") : NULL;
      g_string_append_printf (tables, "  %s: %s\n", node_address (i), bindings ? bindings : "(not running)");
    }
    g_error ("%s: line 1 is %s (%s), not registered at one of %s..%s alone:\n%s", when,
             kl_sip_line1_get_state (f->phone->line), kl_sip_line1_get_last_error (f->phone->line),
             node_address ((guint) first), node_address ((guint) last), tables->str);
  }
  return (guint) wait.found;
}

static gboolean
phase_is_registered (gpointer data)
{
  Fixture *f = data;
  return g_strcmp0 (kl_sip_line1_get_phase (f->phone->line), "registered") == 0;
}

/* Tests */

static void
test_the_line_returns_to_a_priority_10_node_that_runs_again (Fixture *f, gconstpointer data)
{
  guint first;
  guint second;
  guint back;
  gint64 restarted_at;
  gint64 returned_ms;

  first = wait_at_one_of (f, 0, N_BEST - 1, WAIT_MS, "at first");
  g_test_message ("registered at %s", node_address (first));

  /* the node in use dies: another of priority 10 takes the line */
  kl_test_kamailio_kill (f->nodes[first]);
  second = wait_at_one_of (f, 0, N_BEST - 1, WAIT_MS, "after the first node died");
  g_assert_cmpuint (second, !=, first);
  g_test_message ("moved to %s", node_address (second));

  /* all three dead: the priority-20 node */
  for (guint i = 0; i < N_BEST; i++) {
    if (is_running (f, i))
      kl_test_kamailio_kill (f->nodes[i]);
  }
  wait_at_one_of (f, N_BEST, N_BEST, WAIT_MS, "with every priority-10 node dead");
  g_test_message ("on the priority-20 node %s", node_address (N_BEST));
  f->registered.left = 0;

  /* one of them runs again: the line returns to it within the probe's interval */
  back = (first + 1) % N_BEST;
  restarted_at = g_get_monotonic_time ();
  kl_test_kamailio_restart (f->nodes[back]);
  g_assert_cmpuint (wait_at_one_of (f, (int) back, (int) back, RETURN_MS, "after a priority-10 node runs again"), ==,
                    back);
  returned_ms = (g_get_monotonic_time () - restarted_at) / 1000;
  g_test_message ("returned to %s %" G_GINT64_FORMAT " ms after it was started again (its start included)",
                  node_address (back), returned_ms);

  /* make before break, and nothing left at the priority-20 node */
  g_assert_cmpuint (f->registered.left, ==, 0);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->nodes[N_BEST], "1001"), ==, 0);
  /* the Phase property may come a moment after the node's table changed */
  g_assert_true (kl_test_wait_until (phase_is_registered, f, WAIT_MS));
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
  kl_test_e2e_add ("/e2e/srv/the-line-returns-to-a-priority-10-node-that-runs-again", Fixture, NULL, setup,
                   test_the_line_returns_to_a_priority_10_node_that_runs_again, teardown);
  return kl_test_e2e_run ();
}
