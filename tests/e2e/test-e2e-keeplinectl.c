/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeplinectl against sipd registered at a real Kamailio: what status and
 * flows show of registered lines, and a call from line 1 to line 2 placed,
 * answered and hung up with keeplinectl alone. */
#include <string.h>

#include "kl-test-keeplinectl.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define SERVER kl_test_e2e_address (6)
#define WAIT_MS 20000

static const char *certdir;

typedef struct {
  KlTestKamailio *kamailio;
  KlTestPhone *phone;
} Fixture;

typedef struct {
  Fixture *f;
  const char *command;
  const char *const *parts;
} OutputWait;

/* The output of "keeplinectl COMMAND" holds every part. */
static gboolean
output_holds (gpointer data)
{
  OutputWait *wait = data;
  g_auto (KlTestRun) r = { 0 };

  kl_test_keeplinectl (wait->f->phone->bus, &r, wait->command, NULL);
  for (guint i = 0; wait->parts[i]; i++)
    if (strstr (r.out, wait->parts[i]) == NULL)
      return FALSE;
  return r.status == 0;
}

static void
wait_for_output (Fixture *f, const char *command, const char *const *parts)
{
  OutputWait wait = { f, command, parts };

  if (!kl_test_wait_until (output_holds, &wait, WAIT_MS)) {
    g_auto (KlTestRun) r = { 0 };
    kl_test_keeplinectl (f->phone->bus, &r, command, NULL);
    g_error ("keeplinectl %s never showed '%s':\n%s%s", command, parts[0], r.out, r.err);
  }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *config = g_strdup_printf ("sip local port: 0\n"
                                             "sip outbound support: 1\n"
                                             "sip transport protocol: 2\n"
                                             "sip proxy ip: %s\n"
                                             "sip proxy port: 5060\n"
                                             "sip line1 user name: 1001\n"
                                             "sip line1 password: secret1001\n"
                                             "sip line1 screen name: Alice\n"
                                             "sip line2 user name: 1002\n"
                                             "sip line2 password: secret1002\n",
                                             SERVER);
  const char *const registered[]
      = { "line 1  Alice  registered  primary", "line 2  registered  primary", NULL };

  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
  f->phone = kl_test_phone_new ();
  kl_test_config_write (f->phone->config_dir, "local.cfg", config);
  kl_test_phone_start_netmond (f->phone);
  kl_test_phone_start_sipd (f->phone);
  wait_for_output (f, "status", registered);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  kl_test_kamailio_free (f->kamailio);
}

static void
test_status_and_flows_show_registered_lines_with_their_keep_alive (Fixture *f, gconstpointer data)
{
  g_autofree char *registrar
      = g_strdup_printf ("servers   registrar %s:5060, proxy %s:5060", SERVER, SERVER);
  g_auto (KlTestRun) status = { 0 };
  g_auto (KlTestRun) flows = { 0 };
  g_auto (KlTestRun) servers = { 0 };

  kl_test_keeplinectl (f->phone->bus, &status, "status", NULL);
  g_assert_cmpint (status.status, ==, 0);
  g_assert_nonnull (strstr (status.out, registrar));
  g_assert_nonnull (strstr (status.out, "(tcp, outbound)"));
  /* Kamailio's Flow-Timer is 30 s, below RFC 5626's 120 s for TCP */
  g_assert_nonnull (strstr (status.out, "active, keep-alive 30 s"));
  g_assert_nonnull (strstr (status.out, "flow      reg-id 1 tcp "));
  kl_test_keeplinectl (f->phone->bus, &flows, "--json", "flows", NULL);
  g_assert_cmpint (flows.status, ==, 0);
  kl_test_assert_json (flows.out,
                       "len(d) == 2 and all(x['state'] == 'active' and x['keep-alive-s'] == 30 and "
                       "x['reg-id'] == 1 for x in d)");
  kl_test_keeplinectl (f->phone->bus, &servers, "servers", NULL);
  g_assert_cmpint (servers.status, ==, 0);
  g_assert_nonnull (strstr (servers.out, "/tcp  resolved"));
}

static void
test_a_call_is_placed_answered_and_hung_up_with_keeplinectl (Fixture *f, gconstpointer data)
{
  const char *const ringing[] = { "line 1  outgoing  ringing", "line 2  incoming  ringing", NULL };
  const char *const active[] = { "line 1  outgoing  active", "line 2  incoming  active", NULL };
  const char *const ended[]
      = { "call 1  line 1  outgoing  ended", "call 2  line 2  incoming  ended", NULL };
  g_auto (KlTestRun) dial = { 0 };
  g_auto (KlTestRun) answer = { 0 };
  g_auto (KlTestRun) which = { 0 };
  g_auto (KlTestRun) hangup = { 0 };
  g_auto (KlTestRun) json = { 0 };

  kl_test_keeplinectl (f->phone->bus, &dial, "dial", "1", "1002", NULL);
  g_assert_cmpint (dial.status, ==, 0);
  g_assert_cmpstr (dial.out, ==, "/org/keepline/Sip/Call/1\n");
  wait_for_output (f, "calls", ringing);
  kl_test_keeplinectl (f->phone->bus, &answer, "answer", NULL);
  g_assert_cmpint (answer.status, ==, 0);
  wait_for_output (f, "calls", active);

  kl_test_keeplinectl (f->phone->bus, &which, "hangup", NULL);
  g_assert_cmpint (which.status, ==, 2);
  g_assert_nonnull (strstr (which.err, "calls 1 2: name one"));
  kl_test_keeplinectl (f->phone->bus, &hangup, "hangup", "1", NULL);
  g_assert_cmpint (hangup.status, ==, 0);
  wait_for_output (f, "calls", ended);
  kl_test_keeplinectl (f->phone->bus, &json, "--json", "calls", NULL);
  kl_test_assert_json (
      json.out,
      "[c['State'] for c in d] == ['ended', 'ended'] and d[0]['EndReason'] == 'hung up here' "
      "and d[1]['Direction'] == 'incoming'");
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  kl_test_e2e_add ("/e2e/keeplinectl/status-and-flows-show-registered-lines-with-their-keep-alive",
                   Fixture, NULL, fixture_setup,
                   test_status_and_flows_show_registered_lines_with_their_keep_alive,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/keeplinectl/a-call-is-placed-answered-and-hung-up-with-keeplinectl",
                   Fixture, NULL, fixture_setup,
                   test_a_call_is_placed_answered_and_hung_up_with_keeplinectl, fixture_teardown);
  return kl_test_e2e_run ();
}
