/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd against the set-ups phones meet besides one Kamailio that is edge,
 * registrar and presence server at once (kamailio.cfg.in's DEFINES):
 * - an outbound proxy on 127.0.N.6 that challenges every request (407, its
 *   own realm) in front of the registrar on 127.0.N.2, which challenges
 *   REGISTER (401) and other requests (407) in a realm of its own: the line
 *   registers, the registrar holds its binding, and a MESSAGE that both
 *   challenge reaches the far end's answer, not "authentication failed";
 * - a registrar that returns Service-Route and refuses, as a real S-CSCF
 *   would, a SUBSCRIBE that does not carry it: the line's voicemail
 *   subscription is active at the registrar;
 * - a registrar without RFC 5626 (no outbound or STUN module) that closes
 *   idle connections after 20 s: the line registers without outbound, and when
 *   the registrar closes its idle connection it registers again at once over
 *   a new one, out of "registered" for well under a second instead of the
 *   back-off, with one binding at the registrar. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define REGISTRAR kl_test_e2e_address (2)
#define BACKUP kl_test_e2e_address (3)
#define EDGE kl_test_e2e_address (6)
#define WAIT_MS 10000

static const char *certdir;

typedef struct {
  KlTestKamailio *registrar;
  KlTestKamailio *backup;
  KlTestKamailio *edge;
  KlTestPhone *phone;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->phone = kl_test_phone_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  g_clear_pointer (&f->edge, kl_test_kamailio_free);
  g_clear_pointer (&f->backup, kl_test_kamailio_free);
  g_clear_pointer (&f->registrar, kl_test_kamailio_free);
}

/* sipd with line 1 (user 1001) over TCP, the servers of EXTRA */
static void
start_sipd (Fixture *f, const char *extra)
{
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip transport protocol: 2\n"
                                           "sip timer scale percent: 10\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "%s",
                                           extra);

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
  kl_test_phone_start_sipd (f->phone);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
}

/* Two hops that challenge */

static void
test_an_edge_and_a_registrar_challenging_in_turn (Fixture *f, gconstpointer data)
{
  g_autofree char *servers = g_strdup_printf ("sip outbound support: 1\n"
                                              "sip outbound proxy: %s\nsip outbound proxy port: 5060\n"
                                              "sip proxy ip: %s\nsip proxy port: 5060\n",
                                              EDGE, REGISTRAR);
  g_autoptr (GError) error = NULL;
  g_autofree char *result = NULL;
  g_autofree char *bindings = NULL;

  f->registrar = kl_test_kamailio_start (REGISTRAR, certdir, 30);
  f->edge = kl_test_kamailio_start_as (EDGE, certdir, 30, "EDGE_AUTH");
  start_sipd (f, servers);
  bindings = kl_test_kamailio_bindings (f->registrar, "1001");
  g_test_message ("the registrar's bindings of 1001:\n%s", bindings);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->registrar, "1001"), ==, 1);

  /* the edge's 407, then the registrar's own 407 for a MESSAGE: 1002 has no
   * binding, so the registrar's answer past both challenges is 404 or 480 */
  g_assert_true (kl_sip_line1_call_send_message_sync (f->phone->line, "1002", "two realms", &result, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("MESSAGE: %s", result);
  g_assert_true (g_str_has_prefix (result, "404") || g_str_has_prefix (result, "480"));
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
}

/* Service-Route */

static gboolean
mwi_subscription_active (gpointer data)
{
  Fixture *f = data;
  g_autofree char *subscriptions = kl_test_kamailio_subscriptions (f->registrar);

  return strstr (subscriptions, "message-summary") != NULL;
}

static gboolean
mwi_subscription_shown_active (gpointer data)
{
  GVariant *subscriptions = kl_sip_line1_get_subscriptions (data);
  GVariantIter iter;
  const char *event, *resource, *state, *proxy;

  if (subscriptions == NULL)
    return FALSE;
  g_variant_iter_init (&iter, subscriptions);
  while (g_variant_iter_next (&iter, "(&s&s&s&s)", &event, &resource, &state, &proxy))
    if (g_str_equal (event, "message-summary") && g_str_equal (state, "active"))
      return TRUE;
  return FALSE;
}

static void
test_a_registrar_with_service_route (Fixture *f, gconstpointer data)
{
  g_autofree char *servers = g_strdup_printf ("sip outbound support: 1\n"
                                              "sip proxy ip: %s\nsip proxy port: 5060\n"
                                              "sip line1 explicit mwi subscription: 1\n",
                                              REGISTRAR);

  f->registrar = kl_test_kamailio_start_as (REGISTRAR, certdir, 30, "SERVICE_ROUTE");
  start_sipd (f, servers);
  if (!kl_test_wait_until (mwi_subscription_shown_active, f->phone->line, WAIT_MS))
    g_error ("the MWI subscription is not active: %s",
             g_variant_print (kl_sip_line1_get_subscriptions (f->phone->line), FALSE));
  g_assert_true (kl_test_wait_until (mwi_subscription_active, f, WAIT_MS));
}

/* A registrar without outbound */

typedef struct {
  Fixture *f;
  guint left; /* times line 1 left "registered" */
  gboolean was_registered;
  gint64 left_at_us;
  gint64 longest_gap_us; /* out of "registered" */
} Watch;

static void
on_line_properties (GDBusProxy *proxy, GVariant *changed, const char *const *invalidated, gpointer user_data)
{
  Watch *watch = user_data;
  gboolean registered = kl_test_line_registered (proxy);

  if (watch->was_registered && !registered) {
    watch->left++;
    watch->left_at_us = g_get_monotonic_time ();
  } else if (!watch->was_registered && registered) {
    watch->longest_gap_us = MAX (watch->longest_gap_us, g_get_monotonic_time () - watch->left_at_us);
  }
  watch->was_registered = registered;
}

static gboolean
flow_replaced (gpointer data)
{
  Watch *watch = data;
  GVariant *flows = kl_sip_line1_get_flows (watch->f->phone->line);
  g_autoptr (GVariant) flow = NULL;
  guint failures = 0;

  if (flows == NULL || g_variant_n_children (flows) == 0)
    return FALSE;
  flow = g_variant_get_child_value (flows, 0);
  g_variant_lookup (flow, "failures", "u", &failures);
  return failures >= 1 && kl_test_line_registered (watch->f->phone->line);
}

static void
test_a_registrar_without_outbound_closing_idle_connections (Fixture *f, gconstpointer data)
{
  /* Kamailio closes an idle connection about 26 s after its last message (a
   * reader process holds it 5 s, then tcp_connection_lifetime's 20 s run): an
   * OPTIONS keep-alive at the default 24 to 30 s could come first and keep the
   * connection open; at 48 to 60 s none does */
  g_autofree char *servers = g_strdup_printf ("sip outbound support: 1\n"
                                              "sip keep alive options interval: 60\n"
                                              "sip proxy ip: %s\nsip proxy port: 5060\n",
                                              REGISTRAR);
  Watch watch = { f, 0, TRUE };
  g_autofree char *bindings = NULL;

  f->registrar = kl_test_kamailio_start_as (REGISTRAR, certdir, 30, "PLAIN");
  start_sipd (f, servers);
  g_assert_false (kl_sip_line1_get_outbound (f->phone->line)); /* the 200 did not grant it */
  bindings = kl_test_kamailio_bindings (f->registrar, "1001");
  g_test_message ("the registrar's binding:\n%s", bindings);
  g_signal_connect (f->phone->line, "g-properties-changed", G_CALLBACK (on_line_properties), &watch);

  if (!kl_test_wait_until (flow_replaced, &watch, 40000))
    g_error ("the flow was not replaced within 40 s: %s",
             g_variant_print (kl_sip_line1_get_flows (f->phone->line), FALSE));
  g_assert_true (kl_test_wait_until (kl_test_line_registered, f->phone->line, WAIT_MS));
  g_test_message ("line 1 left \"registered\" %u times, for %.3f s at most", watch.left,
                  watch.longest_gap_us / 1e6);
  /* a new connection and a REGISTER on loopback, not the back-off (3 to 6 s here) */
  g_assert_cmpint (watch.longest_gap_us, <, G_USEC_PER_SEC);
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->registrar, "1001"), ==, 1);
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->phone->line), ==, 0);
  g_signal_handlers_disconnect_by_data (f->phone->line, &watch);
}

static gboolean
on_backup (gpointer data)
{
  return kl_sip_line1_get_on_backup (data) && kl_test_line_registered (data);
}

static gboolean
on_primary (gpointer data)
{
  return !kl_sip_line1_get_on_backup (data) && kl_test_line_registered (data);
}

/* Without outbound, OPTIONS every 2 s keep the flow and tell a silent
 * registrar; and the probe of the failed primary, which answers no CRLF
 * ping, finds it alive by its answer to OPTIONS: the line comes back. */
static void
test_a_silent_registrar_without_outbound_is_left_and_found_again_by_options (Fixture *f, gconstpointer data)
{
  g_autofree char *servers = g_strdup_printf ("sip outbound support: 1\n"
                                              "sip keep alive options interval: 2\n"
                                              "sip transaction timer: 2000\n"
                                              "sip proxy ip: %s\nsip proxy port: 5060\n"
                                              "sip backup proxy ip: %s\nsip backup proxy port: 5060\n",
                                              REGISTRAR, BACKUP);
  gint64 started;

  f->registrar = kl_test_kamailio_start_as (REGISTRAR, certdir, 30, "PLAIN");
  f->backup = kl_test_kamailio_start_as (BACKUP, certdir, 30, "PLAIN");
  start_sipd (f, servers);
  g_assert_false (kl_sip_line1_get_outbound (f->phone->line));

  started = g_get_monotonic_time ();
  kl_test_kamailio_pause (f->registrar, TRUE);
  if (!kl_test_wait_until (on_backup, f->phone->line, 30000))
    g_error ("line 1 did not move to its backup: %s", kl_sip_line1_get_last_error (f->phone->line));
  g_test_message ("on the backup %.1f s after the registrar hung: %s", (g_get_monotonic_time () - started) / 1e6,
                  kl_sip_line1_get_last_failover (f->phone->line));
  g_assert_nonnull (strstr (kl_sip_line1_get_last_failover (f->phone->line), "OPTIONS"));

  started = g_get_monotonic_time ();
  kl_test_kamailio_pause (f->registrar, FALSE);
  if (!kl_test_wait_until (on_primary, f->phone->line, 60000))
    g_error ("line 1 did not come back to its primary");
  g_test_message ("back on the primary %.1f s after it answered again", (g_get_monotonic_time () - started) / 1e6);
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  kl_test_e2e_add ("/e2e/servers/an-edge-and-a-registrar-challenging-in-turn", Fixture, NULL, fixture_setup,
                   test_an_edge_and_a_registrar_challenging_in_turn, fixture_teardown);
  kl_test_e2e_add ("/e2e/servers/a-registrar-with-service-route", Fixture, NULL, fixture_setup,
                   test_a_registrar_with_service_route, fixture_teardown);
  kl_test_e2e_add ("/e2e/servers/a-registrar-without-outbound-closing-idle-connections", Fixture, NULL, fixture_setup,
                   test_a_registrar_without_outbound_closing_idle_connections, fixture_teardown);
  kl_test_e2e_add ("/e2e/servers/a-silent-registrar-without-outbound-is-left-and-found-again-by-options", Fixture,
                   NULL, fixture_setup, test_a_silent_registrar_without_outbound_is_left_and_found_again_by_options,
                   fixture_teardown);
  return kl_test_e2e_run ();
}
