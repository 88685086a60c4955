/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A proxy that is not the registrar, on a fake clock against scripted
 * servers (sipd-test-world.h): without an outbound proxy the line's
 * SUBSCRIBEs go to the proxy over a flow of their own, kept alive by SIP
 * OPTIONS, and that flow's failure is the guide's proxy failure: the backup
 * AOR at the registrar in use, the subscriptions at the backup proxy, and
 * back once the proxy answers its probe. A registrar's failure moves the
 * registration only. Nothing is left registered or subscribed behind.
 *
 * Proxy 127.0.105.2, backup proxy .3, registrar .4, backup registrar .5. */
#include <string.h>

#include "kl-test-bus.h"
#include "sipd-line.h"
#include "sipd-test-phone.h"
#include "sipd-test-world.h"

#define PROXY "127.0.105.2"
#define BACKUP_PROXY "127.0.105.3"
#define REGISTRAR "127.0.105.4"
#define BACKUP_REGISTRAR "127.0.105.5"
#define WAIT_MS (5 * 60 * 1000) /* of fake time */

typedef struct {
  gboolean outbound;
  gboolean backups;     /* a backup proxy and a backup registrar */
  gboolean fail_proxy;  /* else the registrar */
  TestFault fault;
} Case;

typedef struct {
  const Case *c;
  KlClock *clock;
  TestWorld *world;
  TestServer *servers[4]; /* proxy, backup proxy, registrar, backup registrar */
  TestPhone phone;
  SipdLine *line;
  KlSipLine1 *iface;
  char *why;
} Fixture;

static const char *const addresses[] = { PROXY, BACKUP_PROXY, REGISTRAR, BACKUP_REGISTRAR };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) text = g_string_new (NULL);

  f->c = data;
  f->clock = kl_clock_new_fake (11);
  f->world = test_world_new (f->clock);
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    f->servers[i] = test_world_add_server (f->world, addresses[i]);
  g_string_append_printf (text,
                          "sip local port: 0\n"
                          "sip outbound support: %d\n"
                          "sip transport protocol: 2\n"
                          "sip proxy ip: " PROXY "\nsip proxy port: 5060\n"
                          "sip registrar ip: " REGISTRAR "\nsip registrar port: 5060\n"
                          "sip registration period: 60\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: secret1001\n"
                          "sip line1 explicit mwi subscription: 1\n",
                          f->c->outbound);
  if (f->c->backups)
    g_string_append (text, "sip backup proxy ip: " BACKUP_PROXY "\nsip backup proxy port: 5060\n"
                           "sip backup registrar ip: " BACKUP_REGISTRAR "\nsip backup registrar port: 5060\n");
  test_phone_init (&f->phone, f->clock, text->str);
  f->line = sipd_line_new (1, &f->phone.context);
  f->iface = sipd_line_get_iface (f->line);
  sipd_line_apply_config (f->line, f->phone.config);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->line, sipd_line_free);
  test_phone_clear (&f->phone);
  test_world_free (f->world);
  kl_clock_unref (f->clock);
  g_free (f->why);
}

/* Where the line should be: its AOR's domain (the proxy in use), the
 * registrar holding its one binding, the proxy holding its one subscription,
 * which came to that proxy directly. */
typedef struct {
  Fixture *f;
  const char *proxy;
  const char *registrar;
  gboolean other_unchecked; /* a hung server keeps what it had until it answers */
} Place;

static guint
bindings_elsewhere (Fixture *f, const char *registrar)
{
  guint count = 0;

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++) {
    if (!g_str_equal (addresses[i], registrar))
      count += test_world_count_bindings (f->world, addresses[i], "1001", NULL);
  }
  return count;
}

static gboolean
is_at (gpointer data)
{
  Place *place = data;
  Fixture *f = place->f;
  g_autofree char *aor = g_strdup_printf ("sip:1001@%s", place->proxy);
  g_autofree char *registrar = g_strdup_printf ("%s:5060", place->registrar);
  g_autofree char *tables = test_world_describe (f->world);
  const char *other_proxy = g_str_equal (place->proxy, PROXY) ? BACKUP_PROXY : PROXY;

  if (g_strcmp0 (kl_sip_line1_get_state (f->iface), "registered") != 0)
    return kl_test_not_yet (&f->why, "line 1 is %s (%s; last error: %s)", kl_sip_line1_get_state (f->iface),
                    sipd_line_state_to_string (sipd_line_get_state (f->line)),
                    kl_sip_line1_get_last_error (f->iface));
  if (g_strcmp0 (kl_sip_line1_get_aor (f->iface), aor) != 0 ||
      g_strcmp0 (kl_sip_line1_get_registrar (f->iface), registrar) != 0)
    return kl_test_not_yet (&f->why, "line 1 is %s at %s", kl_sip_line1_get_aor (f->iface), kl_sip_line1_get_registrar (f->iface));
  if (test_world_count_bindings (f->world, place->registrar, "1001", NULL) != 1 ||
      (!place->other_unchecked && bindings_elsewhere (f, place->registrar) != 0))
    return kl_test_not_yet (&f->why, "want one binding, at %s:\n%s", place->registrar, tables);
  if (test_world_count_subscriptions (f->world, place->proxy, NULL) != 1 ||
      (!place->other_unchecked && test_world_count_subscriptions (f->world, other_proxy, NULL) != 0))
    return kl_test_not_yet (&f->why, "want one subscription, at %s:\n%s", place->proxy, tables);
  return TRUE;
}

static void
assert_at (Fixture *f, const char *proxy, const char *registrar, gboolean other_unchecked, const char *when)
{
  Place place = { f, proxy, registrar, other_unchecked };

  if (!test_world_run (f->world, is_at, &place, WAIT_MS))
    g_error ("%s: not at proxy %s and registrar %s: %s", when, proxy, registrar, f->why);
}

/* The proxy's flow is on D-Bus as one of its own. */
static gboolean
shows_proxy_flow (Fixture *f, const char *proxy)
{
  GVariant *flows = kl_sip_line1_get_flows (f->iface);
  g_autofree char *remote = g_strdup_printf ("%s:5060", proxy);

  for (gsize i = 0; i < g_variant_n_children (flows); i++) {
    g_autoptr (GVariant) flow = g_variant_get_child_value (flows, i);
    const char *purpose = NULL;
    const char *to = NULL;

    guint keepalive_s = 0;

    g_variant_lookup (flow, "purpose", "&s", &purpose);
    g_variant_lookup (flow, "remote", "&s", &to);
    g_variant_lookup (flow, "keep-alive-s", "u", &keepalive_s);
    if (g_strcmp0 (purpose, "proxy") == 0 && g_strcmp0 (to, remote) == 0)
      return keepalive_s > 0;
  }
  return FALSE;
}

static void
test_subscriptions_go_to_the_proxy (Fixture *f, gconstpointer data)
{
  assert_at (f, PROXY, REGISTRAR, FALSE, "at the start");
  g_assert_cmpuint (test_server_count_requests (f->servers[0], "SUBSCRIBE"), >=, 1);
  g_assert_cmpuint (test_server_count_requests (f->servers[2], "SUBSCRIBE"), ==, 0);
  g_assert_cmpuint (test_server_count_requests (f->servers[0], "REGISTER"), ==, 0);
  g_assert_cmpuint (test_server_count_requests (f->servers[0], "OPTIONS"), >=, 1);
  g_assert_true (shows_proxy_flow (f, PROXY));
  /* the OPTIONS keep the proxy's flow alive: one every 30 s */
  test_world_wait (f->world, 5 * 60 * 1000);
  g_assert_cmpuint (test_server_count_requests (f->servers[0], "OPTIONS"), >=, 8);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 0);
}

static void
test_failover_and_back (Fixture *f, gconstpointer data)
{
  TestServer *failing = f->servers[f->c->fail_proxy ? 0 : 2];
  const char *proxy_during = f->c->fail_proxy ? BACKUP_PROXY : PROXY;
  const char *registrar_during = f->c->fail_proxy ? REGISTRAR : BACKUP_REGISTRAR;

  assert_at (f, PROXY, REGISTRAR, FALSE, "before the fault");
  test_server_fail (failing, f->c->fault);
  assert_at (f, proxy_during, registrar_during, f->c->fault == TEST_FAULT_HUNG, "during the fault");
  g_assert_true (kl_sip_line1_get_on_backup (f->iface));
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 1);
  if (f->c->fail_proxy) {
    g_assert_nonnull (strstr (kl_sip_line1_get_last_failover (f->iface), PROXY));
    g_assert_true (shows_proxy_flow (f, BACKUP_PROXY));
  }

  test_server_recover (failing);
  assert_at (f, PROXY, REGISTRAR, FALSE, "after the server answers again");
  g_assert_false (kl_sip_line1_get_on_backup (f->iface));
  g_assert_cmpuint (kl_sip_line1_get_failbacks (f->iface), ==, 1);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 1);
}

/* A proxy that answers OPTIONS and no CRLF ping, as servers without RFC
 * 5626 do, keeps its flow: the unanswered first ping fails nothing. */
static void
test_a_proxy_without_pongs_keeps_its_flow (Fixture *f, gconstpointer data)
{
  test_server_set_keepalives (f->servers[0], 0, FALSE);
  assert_at (f, PROXY, REGISTRAR, FALSE, "at the start");
  test_world_wait (f->world, 5 * 60 * 1000);
  assert_at (f, PROXY, REGISTRAR, FALSE, "five minutes later");
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 0);
  g_assert_cmpuint (test_server_count_requests (f->servers[0], "OPTIONS"), >=, 8);
}

/* With no backup proxy the line stays registered, says why, and subscribes
 * again over a new flow once the proxy answers. */
static void
test_proxy_without_backup (Fixture *f, gconstpointer data)
{
  assert_at (f, PROXY, REGISTRAR, FALSE, "before the fault");
  test_server_fail (f->servers[0], TEST_FAULT_RESET);
  test_world_wait (f->world, 5000);
  g_assert_cmpstr (kl_sip_line1_get_state (f->iface), ==, "registered");
  g_assert_nonnull (strstr (kl_sip_line1_get_last_error (f->iface), "flow to proxy " PROXY " failed"));
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->iface), ==, 0);
  test_server_recover (f->servers[0]);
  assert_at (f, PROXY, REGISTRAR, FALSE, "after the proxy answers again");
}

static const Case plain_reset = { FALSE, TRUE, TRUE, TEST_FAULT_RESET };
static const Case plain_hung = { FALSE, TRUE, TRUE, TEST_FAULT_HUNG };
static const Case plain_fin = { FALSE, TRUE, TRUE, TEST_FAULT_FIN };
static const Case outbound_reset = { TRUE, TRUE, TRUE, TEST_FAULT_RESET };
static const Case outbound_hung = { TRUE, TRUE, TRUE, TEST_FAULT_HUNG };
static const Case registrar_reset = { TRUE, TRUE, FALSE, TEST_FAULT_RESET };
static const Case plain_registrar_fin = { FALSE, TRUE, FALSE, TEST_FAULT_FIN };
static const Case no_backup = { TRUE, FALSE, TRUE, TEST_FAULT_RESET };

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, c, func) g_test_add (path, Fixture, c, fixture_setup, func, fixture_teardown)
  ADD ("/sipd/proxy-hop/subscriptions-go-to-the-proxy", &plain_reset, test_subscriptions_go_to_the_proxy);
  ADD ("/sipd/proxy-hop/outbound-off/proxy-reset", &plain_reset, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-off/proxy-hung", &plain_hung, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-off/proxy-crash-with-fin", &plain_fin, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-on/proxy-reset", &outbound_reset, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-on/proxy-hung", &outbound_hung, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-on/registrar-reset", &registrar_reset, test_failover_and_back);
  ADD ("/sipd/proxy-hop/outbound-off/registrar-fin", &plain_registrar_fin, test_failover_and_back);
  ADD ("/sipd/proxy-hop/no-backup-proxy", &no_backup, test_proxy_without_backup);
  ADD ("/sipd/proxy-hop/a-proxy-without-pongs-keeps-its-flow", &plain_reset, test_a_proxy_without_pongs_keeps_its_flow);
#undef ADD
  return g_test_run ();
}
