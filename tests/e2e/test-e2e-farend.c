/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The far ends of the call tests, without sipd: a sipp caller reaches baresip
 * registered at a real Kamailio, which answers by itself; a sipp caller
 * reaches a sipp callee that is not registered (a user 9… of Kamailio's) and
 * hears it busy; one baresip calls another, which rings until it answers. */
#include <string.h>

#include "kl-test-baresip.h"
#include "kl-test-bus.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-sipp.h"

#define SERVER kl_test_e2e_address (2)
#define PHONE kl_test_e2e_address (10)
#define OTHER_PHONE kl_test_e2e_address (11)
#define UAS kl_test_e2e_address (20)
#define UAC kl_test_e2e_address (30)
#define UAS_PORT 5070
#define WAIT_MS 10000

static char *certdir; /* one set of certificates for the whole run */

typedef struct {
  KlTestKamailio *kamailio;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_kamailio_free (f->kamailio);
}

/* Kamailio's binding of USER names the transport it came over */
static void
assert_registered_over (Fixture *f, const char *user, const char *transport)
{
  g_autofree char *bindings = kl_test_kamailio_bindings (f->kamailio, user);
  g_autofree char *parameter = g_strdup_printf (";transport=%s", transport);

  if (g_str_equal (transport, "udp"))
    g_assert_null (strstr (bindings, ";transport="));
  else
    g_assert_nonnull (strstr (bindings, parameter));
}

static char *
only_call_id (GPtrArray *call_ids)
{
  g_assert_cmpuint (call_ids->len, ==, 1);
  return call_ids->pdata[0];
}

static void
test_sipp_calls_baresip_which_answers (Fixture *f, gconstpointer data)
{
  const char *transport = data;
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", transport, TRUE);
  const char *hold[] = { "-set", "hold", "500", NULL };
  g_autoptr (KlTestSipp) caller = kl_test_sipp_start_uac ("uac-call", UAC, f->kamailio, "1009", "udp", hold);
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);
  const char *established;

  assert_registered_over (f, "1009", transport);
  g_assert_cmpint (kl_test_sipp_wait (caller, WAIT_MS), ==, 0);
  established = kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS);
  g_assert_nonnull (established);
  g_assert_nonnull (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS));
  g_assert_cmpuint (kl_test_baresip_count_invites (phone, call_ids), ==, 1);
  g_assert_cmpstr (only_call_id (call_ids), ==, established);
}

static void
test_sipp_calls_a_busy_sipp_callee (Fixture *f, gconstpointer data)
{
  g_autofree char *uas_uri = g_strdup_printf ("sip:%s:%u", UAS, UAS_PORT);
  g_autoptr (KlTestSipp) callee = kl_test_sipp_start ("uas-busy", UAS, UAS_PORT, "udp", NULL, NULL);
  g_autoptr (KlTestSipp) caller = NULL;
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);

  kl_test_kamailio_set_uas (f->kamailio, uas_uri);
  caller = kl_test_sipp_start_uac ("uac-busy", UAC, f->kamailio, "900", "udp", NULL);
  g_assert_cmpint (kl_test_sipp_wait (caller, WAIT_MS), ==, 0);
  g_assert_cmpint (kl_test_sipp_wait (callee, WAIT_MS), ==, 0);
  g_assert_cmpuint (kl_test_sipp_count_invites (callee, call_ids), ==, 1);
  g_assert_cmpuint (call_ids->len, ==, 1);
}

static void
test_baresip_calls_baresip_which_rings_until_answered (Fixture *f, gconstpointer data)
{
  const char *transport = data;
  g_autoptr (KlTestBaresip) callee = kl_test_baresip_start (PHONE, f->kamailio, "1009", transport, FALSE);
  g_autoptr (KlTestBaresip) caller = kl_test_baresip_start (OTHER_PHONE, f->kamailio, "1008", transport, FALSE);
  g_autofree char *uri = g_strdup_printf ("sip:1009@%s", f->kamailio->domain);
  const char *incoming;

  kl_test_baresip_dial (caller, uri);
  incoming = kl_test_baresip_wait_for (callee, "CALL_INCOMING", WAIT_MS);
  g_assert_nonnull (incoming);
  g_assert_cmpstr (kl_test_baresip_wait_for (caller, "CALL_RINGING", WAIT_MS), ==, incoming);
  kl_test_baresip_answer (callee);
  g_assert_cmpstr (kl_test_baresip_wait_for (caller, "CALL_ESTABLISHED", WAIT_MS), ==, incoming);
  g_assert_cmpstr (kl_test_baresip_wait_for (callee, "CALL_ESTABLISHED", WAIT_MS), ==, incoming);
  kl_test_baresip_hangup (caller);
  g_assert_cmpstr (kl_test_baresip_wait_for (callee, "CALL_CLOSED", WAIT_MS), ==, incoming);
  g_assert_cmpuint (kl_test_baresip_count_invites (callee, NULL), ==, 1);
}

int
main (int argc, char **argv)
{
  static const char *const transports[] = { "udp", "tcp", "tls" };
  int status;

  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_certificates_new ();

  for (guint i = 0; i < G_N_ELEMENTS (transports); i++) {
    g_autofree char *answers = g_strdup_printf ("/e2e/farend/%s/sipp-calls-baresip-which-answers", transports[i]);
    g_autofree char *rings = g_strdup_printf ("/e2e/farend/%s/baresip-calls-baresip-which-rings-until-answered",
                                              transports[i]);

    kl_test_e2e_add (answers, Fixture, transports[i], fixture_setup, test_sipp_calls_baresip_which_answers,
                     fixture_teardown);
    kl_test_e2e_add (rings, Fixture, transports[i], fixture_setup,
                     test_baresip_calls_baresip_which_rings_until_answered, fixture_teardown);
  }
  kl_test_e2e_add ("/e2e/farend/sipp-calls-a-busy-sipp-callee", Fixture, NULL, fixture_setup,
                   test_sipp_calls_a_busy_sipp_callee, fixture_teardown);

  status = g_test_run ();
  kl_test_config_dir_remove (certdir);
  g_free (certdir);
  return status;
}
