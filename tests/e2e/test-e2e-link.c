/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd and netmond in a network namespace of the test's, the "phone", joined
 * by a veth pair to a real Kamailio in a second one, the "server": the link
 * goes down and comes back, with and without the flow surviving, and with a
 * new address. netmond tells sipd at once; sipd checks its flow, or, when the
 * flow died meanwhile, registers again without waiting out its back-off. Its
 * address block only names the namespaces: everything else is inside them. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-netns.h"
#include "kl-test-phone.h"

#define WAIT_MS 10000
#define BACK_WITHIN_MS 2000

static const char *certdir;

typedef struct {
  KlTestKamailio *kamailio;
  KlTestPhone *phone;
  KlNetMon1 *netmon;
} Fixture;

static GSubprocess *
spawn_in_phone (Fixture *f, const char *daemon)
{
  g_autofree char *relative = g_strdup_printf ("%s/%s", daemon, daemon);
  const char *argv[] = { "ip", "netns", "exec", kl_test_netns_phone (), kl_test_build_path (relative),
                         "--config-dir", f->phone->config_dir, "--mac", "00085D0A0B0C", NULL };

  return kl_test_bus_spawn (f->phone->bus, G_SUBPROCESS_FLAGS_NONE, argv);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  kl_test_netns_create ();
  f->kamailio = kl_test_kamailio_start_full (kl_test_netns_server (), KL_TEST_NETNS_SERVER_ADDR, NULL, certdir, 30);
  f->phone = kl_test_phone_new ();
  kl_test_config_write (f->phone->config_dir, "local.cfg",
                        "sip local port: 0\n"
                        "sip outbound support: 1\n"
                        "sip transport protocol: 2\n"
                        "sip proxy ip: " KL_TEST_NETNS_SERVER_ADDR "\n"
                        "sip outbound keep alive timer: 2\n"
                        "sip line1 user name: 1001\n"
                        "sip line1 password: secret1001\n");
  f->phone->netmond = spawn_in_phone (f, "netmond");
  g_assert_true (kl_test_bus_wait_for_name (f->phone->bus, "org.keepline.NetMon", TRUE));
  f->netmon = kl_net_mon1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, "org.keepline.NetMon",
                                          "/org/keepline/NetMon", NULL, &error);
  g_assert_no_error (error);
  kl_test_phone_take_sipd (f->phone, spawn_in_phone (f, "sipd"));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->netmon);
  kl_test_phone_free (f->phone);
  kl_test_kamailio_free (f->kamailio);
  kl_test_netns_remove ();
}

/* Waiting */

static const char *
flow_state (Fixture *f, guint *ret_failures)
{
  GVariant *flows = kl_sip_line1_get_flows (f->phone->line);
  g_autoptr (GVariant) flow = NULL;
  const char *state = "";

  *ret_failures = 0;
  if (flows != NULL && g_variant_n_children (flows) > 0) {
    flow = g_variant_get_child_value (flows, 0);
    kl_test_lookup (flow, "state", "&s", &state);
    kl_test_lookup (flow, "failures", "u", ret_failures);
  }
  return state;
}

typedef struct {
  Fixture *f;
  const char *state;
} FlowWait;

static gboolean
flow_is (gpointer data)
{
  FlowWait *wait = data;
  guint failures;

  return g_strcmp0 (flow_state (wait->f, &failures), wait->state) == 0;
}

static void
wait_for_flow (Fixture *f, const char *state, guint timeout_ms)
{
  FlowWait wait = { f, state };
  guint failures;

  if (!kl_test_wait_until (flow_is, &wait, timeout_ms))
    g_error ("the flow is '%s', not '%s' after %u ms; line: %s, %s", flow_state (f, &failures), state, timeout_ms,
             kl_sip_line1_get_state (f->phone->line), kl_sip_line1_get_last_error (f->phone->line));
}

static gboolean
registered_at_server (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (kl_sip_line1_get_state (f->phone->line), "registered") == 0 &&
         kl_test_kamailio_count_bindings (f->kamailio, "1001") == 1;
}

static gint64
wait_registered (Fixture *f, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time ();

  if (!kl_test_wait_until (registered_at_server, f, timeout_ms))
    g_error ("line 1 is %s, not registered after %u ms; last error: %s", kl_sip_line1_get_state (f->phone->line),
             timeout_ms, kl_sip_line1_get_last_error (f->phone->line));
  return (g_get_monotonic_time () - start) / 1000;
}

typedef struct {
  Fixture *f;
  const char *online;
} OnlineWait;

static gboolean
online_is (gpointer data)
{
  OnlineWait *wait = data;
  return g_strcmp0 (kl_net_mon1_get_online (wait->f->netmon), wait->online) == 0;
}

static void
wait_online (Fixture *f, const char *online)
{
  OnlineWait wait = { f, online };

  if (!kl_test_wait_until (online_is, &wait, WAIT_MS))
    g_error ("netmond is online '%s' (%s), not '%s'", kl_net_mon1_get_online (f->netmon),
             kl_net_mon1_get_online_reason (f->netmon), online);
}

/* Tests */

static void
test_a_short_outage_is_checked_at_once_and_the_flow_survives (Fixture *f, gconstpointer data)
{
  guint failures;

  wait_registered (f, WAIT_MS);
  wait_for_flow (f, "active", WAIT_MS);
  wait_online (f, "full");
  g_test_message ("netmond: %s", kl_net_mon1_get_online_reason (f->netmon));

  kl_test_netns_set_phone_link (FALSE);
  wait_for_flow (f, "suspect", WAIT_MS);
  wait_online (f, "none");
  g_usleep (G_USEC_PER_SEC);
  kl_test_netns_set_phone_link (TRUE);
  /* the keep-alive sent when the link came back is answered */
  wait_for_flow (f, "active", 5000);
  flow_state (f, &failures);
  g_assert_cmpuint (failures, ==, 0);
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
  g_assert_cmpuint (kl_test_kamailio_count_bindings (f->kamailio, "1001"), ==, 1);
}

static void
test_a_link_back_after_the_flow_failed_re_registers_within_2_s (Fixture *f, gconstpointer data)
{
  gint64 back_ms;

  wait_registered (f, WAIT_MS);
  kl_test_netns_set_phone_link (FALSE);
  /* a keep-alive every 2 s goes unanswered for 10 s: the flow fails, and the
   * RFC 5626 back-off (15 to 30 s for the first failure) begins */
  wait_for_flow (f, "backoff", 2000 + 10000 + 3000);
  g_test_message ("while the link is down: %s", kl_sip_line1_get_last_error (f->phone->line));

  kl_test_netns_set_phone_link (TRUE);
  back_ms = wait_registered (f, WAIT_MS);
  g_test_message ("registered again %" G_GINT64_FORMAT " ms after the link came up", back_ms);
  g_assert_cmpint (back_ms, <, BACK_WITHIN_MS);
  wait_for_flow (f, "active", WAIT_MS);
}

static gboolean
binding_from (gpointer data)
{
  Fixture *f = data;
  g_autofree char *bindings = kl_test_kamailio_bindings (f->kamailio, "1001");

  return kl_test_line_registered (f->phone->line) && strstr (bindings, "10.201.0.3") != NULL;
}

static void
test_a_new_address_after_the_outage_re_registers_from_it_at_once (Fixture *f, gconstpointer data)
{
  gint64 start;
  gint64 back_ms;

  wait_registered (f, WAIT_MS);
  kl_test_netns_set_phone_link (FALSE);
  kl_test_netns_set_phone_address (KL_TEST_NETNS_PHONE_ADDR "/24", "10.201.0.3/24");
  /* the old address is gone, the new one cannot reach the server yet: a new
   * flow fails, and the back-off begins */
  wait_for_flow (f, "backoff", WAIT_MS);
  kl_test_netns_set_phone_link (TRUE);
  start = g_get_monotonic_time ();
  if (!kl_test_wait_until (binding_from, f, WAIT_MS))
    g_error ("no binding from 10.201.0.3: line 1 is %s, %s", kl_sip_line1_get_state (f->phone->line),
             kl_sip_line1_get_last_error (f->phone->line));
  back_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("registered from the new address %" G_GINT64_FORMAT " ms after the link came up", back_ms);
  g_assert_cmpint (back_ms, <, BACK_WITHIN_MS);
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  if (!kl_test_netns_available ()) {
    g_test_skip ("needs root and ip(8): the test makes its own network namespaces");
    return g_test_run ();
  }
  certdir = kl_test_e2e_certificates ();

#define ADD(path, func) kl_test_e2e_add ("/e2e/link/" path, Fixture, NULL, setup, func, teardown)
  ADD ("a-short-outage-is-checked-at-once-and-the-flow-survives",
       test_a_short_outage_is_checked_at_once_and_the_flow_survives);
  ADD ("a-link-back-after-the-flow-failed-re-registers-within-2-s",
       test_a_link_back_after_the_flow_failed_re_registers_within_2_s);
  ADD ("a-new-address-after-the-outage-re-registers-from-it-at-once",
       test_a_new_address_after_the_outage_re_registers_from_it_at_once);
#undef ADD

  return kl_test_e2e_run ();
}
