/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A proxy that is not the registrar, against real Kamailio servers: the
 * proxy on 127.0.N.2 and its backup on .3 hold the line's MWI subscriptions
 * (their presence module is the notifier), the registrar on .4 and its
 * backup on .5 hold its binding; no outbound proxy. The rows of the guide's
 * table "backup proxy and backup registrar", with outbound off (the proxies
 * then without the outbound module and CRLF pongs) and on:
 * - the proxy fails (killed: its connections reset; hung: only OPTIONS
 *   tell): the line registers the backup AOR at the registrar in use and
 *   subscribes at the backup proxy; when the proxy answers its probe, the
 *   primary AOR and the subscription come back and nothing is left at the
 *   backup proxy;
 * - the registrar fails: the binding moves to the backup registrar with the
 *   primary AOR, the subscription stays at the proxy; and back.
 * Kamailio's location and presence tables are the judge. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define PROXY kl_test_e2e_address (2)
#define BACKUP_PROXY kl_test_e2e_address (3)
#define REGISTRAR kl_test_e2e_address (4)
#define BACKUP_REGISTRAR kl_test_e2e_address (5)
#define WAIT_MS 40000

static const char *certdir;

typedef enum {
  FAULT_KILLED,
  FAULT_HUNG,
} Fault;

typedef struct {
  gboolean outbound;
  gboolean fail_proxy; /* else the registrar */
  Fault fault;
} Case;

typedef struct {
  const Case *c;
  KlTestKamailio *servers[4]; /* proxy, backup proxy, registrar, backup registrar */
  KlTestPhone *phone;
  char *why;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *addresses[] = { PROXY, BACKUP_PROXY, REGISTRAR, BACKUP_REGISTRAR };
  g_autofree char *text = NULL;

  f->c = data;
  /* without outbound, proxies like most in the field: no outbound module,
   * no CRLF pong, idle connections closed (kamailio.cfg.in's PLAIN) */
  for (guint i = 0; i < G_N_ELEMENTS (f->servers); i++)
    f->servers[i] = i < 2 && !f->c->outbound ? kl_test_kamailio_start_as (addresses[i], certdir, 30, "PLAIN")
                                             : kl_test_kamailio_start (addresses[i], certdir, 30);
  f->phone = kl_test_phone_new ();
  text = g_strdup_printf ("sip local port: 0\n"
                          "sip transport protocol: 2\n"
                          "sip timer scale percent: 10\n"
                          "sip transaction timer: 2000\n"
                          "sip keep alive options interval: 2\n"
                          "sip outbound support: %d\n"
                          "sip proxy ip: %s\nsip proxy port: 5060\n"
                          "sip registrar ip: %s\nsip registrar port: 5060\n"
                          "sip backup proxy ip: %s\nsip backup proxy port: 5060\n"
                          "sip backup registrar ip: %s\nsip backup registrar port: 5060\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: secret1001\n"
                          "sip line1 explicit mwi subscription: 1\n",
                          f->c->outbound, PROXY, REGISTRAR, BACKUP_PROXY, BACKUP_REGISTRAR);
  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
  kl_test_phone_start_sipd (f->phone);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  for (guint i = 0; i < G_N_ELEMENTS (f->servers); i++)
    g_clear_pointer (&f->servers[i], kl_test_kamailio_free);
  g_free (f->why);
}

/* Where the line should be */

typedef struct {
  Fixture *f;
  guint proxy;      /* 0 the proxy, 1 its backup */
  guint registrar;  /* 2 the registrar, 3 its backup */
  gboolean other_unchecked; /* a hung server cannot be asked */
} Place;

/* Registered as 1001@proxy in use, one binding at the registrar in use and
 * none at the other, one MWI subscription at the proxy in use and none at
 * the other. */
static gboolean
is_at (gpointer data)
{
  Place *place = data;
  Fixture *f = place->f;
  KlSipLine1 *line = f->phone->line;
  g_autofree char *aor = g_strdup_printf ("sip:1001@%s", place->proxy == 0 ? PROXY : BACKUP_PROXY);
  g_autofree char *registrar = g_strdup_printf ("%s:5060", place->registrar == 2 ? REGISTRAR : BACKUP_REGISTRAR);
  KlTestKamailio *other_registrar = f->servers[place->registrar == 2 ? 3 : 2];
  KlTestKamailio *other_proxy = f->servers[place->proxy == 0 ? 1 : 0];
  guint bindings = kl_test_kamailio_count_bindings (f->servers[place->registrar], "1001");
  guint subscriptions = kl_test_kamailio_count_mwi_subscriptions (f->servers[place->proxy], NULL);
  /* the phase, not only the state: a move is over, failbacks counted */
  const char *phase = place->proxy == 0 && place->registrar == 2 ? "registered" : "on-backup";

  if (g_strcmp0 (kl_sip_line1_get_phase (line), phase) != 0)
    return kl_test_not_yet (&f->why, "line 1 is %s, not %s (last error: %s)", kl_sip_line1_get_phase (line), phase,
                    kl_sip_line1_get_last_error (line));
  if (g_strcmp0 (kl_sip_line1_get_aor (line), aor) != 0 || g_strcmp0 (kl_sip_line1_get_registrar (line), registrar))
    return kl_test_not_yet (&f->why, "line 1 is %s at %s", kl_sip_line1_get_aor (line), kl_sip_line1_get_registrar (line));
  if (bindings != 1 || (!place->other_unchecked && kl_test_kamailio_count_bindings (other_registrar, "1001") != 0))
    return kl_test_not_yet (&f->why, "%u bindings at %s, want 1 and none at the other", bindings, registrar);
  if (subscriptions != 1 ||
      (!place->other_unchecked && kl_test_kamailio_count_mwi_subscriptions (other_proxy, NULL) != 0)) {
    g_autofree char *watchers = kl_test_kamailio_subscriptions (f->servers[place->proxy]);
    return kl_test_not_yet (&f->why, "%u MWI subscriptions at the proxy in use, want 1 and none at the other:\n%s",
                    subscriptions, watchers);
  }
  return TRUE;
}

static void
assert_at (Fixture *f, guint proxy, guint registrar, gboolean other_unchecked, const char *when)
{
  Place place = { f, proxy, registrar, other_unchecked };

  if (!kl_test_wait_until (is_at, &place, WAIT_MS))
    g_error ("%s: %s", when, f->why);
}

static void
fail (KlTestKamailio *server, Fault fault, gboolean failing)
{
  if (fault == FAULT_HUNG)
    kl_test_kamailio_pause (server, failing);
  else if (failing)
    kl_test_kamailio_kill (server);
  else
    kl_test_kamailio_restart (server);
}

static void
test_a_server_apart_fails_and_returns (Fixture *f, gconstpointer data)
{
  guint failing = f->c->fail_proxy ? 0 : 2;
  g_autofree char *result = NULL;
  g_autoptr (GError) error = NULL;
  gint64 started;

  assert_at (f, 0, 2, FALSE, "at the start");
  /* a MESSAGE to 1001 goes to the proxy, which has no binding of it (the
   * registrar would have sent it back to the phone) */
  g_assert_true (kl_sip_line1_call_send_message_sync (f->phone->line, "1001", "via the proxy", &result, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("MESSAGE to 1001 through the proxy: %s", result);
  g_assert_true (g_str_has_prefix (result, "404"));

  started = g_get_monotonic_time ();
  fail (f->servers[failing], f->c->fault, TRUE);
  assert_at (f, f->c->fail_proxy ? 1 : 0, f->c->fail_proxy ? 2 : 3, TRUE, "during the fault");
  g_test_message ("moved %.1f s after the fault: %s", (g_get_monotonic_time () - started) / 1e6,
                  kl_sip_line1_get_last_failover (f->phone->line));
  g_assert_true (kl_sip_line1_get_on_backup (f->phone->line));
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->phone->line), ==, 1);

  started = g_get_monotonic_time ();
  fail (f->servers[failing], f->c->fault, FALSE);
  assert_at (f, 0, 2, FALSE, "after the server returned");
  g_test_message ("back %.1f s after the server returned", (g_get_monotonic_time () - started) / 1e6);
  g_assert_false (kl_sip_line1_get_on_backup (f->phone->line));
  g_assert_cmpuint (kl_sip_line1_get_failbacks (f->phone->line), ==, 1);
}

static const Case proxy_killed = { FALSE, TRUE, FAULT_KILLED };
static const Case proxy_hung_outbound = { TRUE, TRUE, FAULT_HUNG };
static const Case registrar_killed_outbound = { TRUE, FALSE, FAULT_KILLED };

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  kl_test_e2e_add ("/e2e/proxy/outbound-off/the-proxy-killed", Fixture, &proxy_killed, fixture_setup,
                   test_a_server_apart_fails_and_returns, fixture_teardown);
  kl_test_e2e_add ("/e2e/proxy/outbound-on/the-proxy-hung", Fixture, &proxy_hung_outbound, fixture_setup,
                   test_a_server_apart_fails_and_returns, fixture_teardown);
  kl_test_e2e_add ("/e2e/proxy/outbound-on/the-registrar-killed", Fixture, &registrar_killed_outbound,
                   fixture_setup, test_a_server_apart_fails_and_returns, fixture_teardown);
  return kl_test_e2e_run ();
}
