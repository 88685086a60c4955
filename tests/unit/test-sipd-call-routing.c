/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A new call while a server dies, on a fake clock against scripted servers
 * (sipd-test-world.h): for every row of the failover table with a backup and
 * every way the line's next hop fails just before Dial(), the call is answered
 * through the backup, the backup saw one INVITE, and the call went out as
 * soon as the RFC's timers allow: at once after a reset, after T1 and a
 * keep-alive check of 2·T1 for a silent server with outbound, after Timer B
 * without it. With the dual flow it goes over reg-id 2 after T1. Without any
 * backup the call ends at once and says why. And two answers from the same
 * next hop: a second forked 2xx is ended with ACK and BYE, and a proxy's 407
 * followed by a registrar's 401 are both answered. A proxy apart from the
 * registrar is the call's next hop, and its failure moves the call to the
 * backup proxy. Its servers are on 127.0.101.x,
 * beside test-sipd-line's on 127.0.100.x. */
#include <string.h>

#include "kl-test-failover.h"
#include "sipd-calls.h"
#include "sipd-test-phone.h"
#include "sipd-test-world.h"

#define PRIMARY "127.0.101.2"
#define BACKUP "127.0.101.3"
#define EDGE "127.0.101.6"
#define BACKUP_EDGE "127.0.101.7"
#define WAIT_MS (5 * 60 * 1000) /* of fake time */
#define SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

static const KlTestRow no_backup = { "outbound-on/no-backup", TRUE, FALSE, FALSE, FALSE };
static const KlTestServers servers = { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };

typedef struct {
  const KlTestRow *row;
  TestFault fault;
  gboolean dual_flow;
  guint invite_reply; /* the next hop answers INVITE with this instead of failing */
  gboolean service_route; /* the registrars give one, and the line subscribes to MWI */
  gboolean proxy_apart; /* proxy .2 (backup .3), registrar .6 (backup .7), no outbound proxy */
} Case;

typedef struct {
  const Case *c;
  KlClock *clock;
  TestWorld *world;
  TestServer *servers[4];
  TestPhone phone;
  SipdLine *line;
  GDBusObjectManagerServer *object_manager;
  KlSipManager1 *manager;
  SipdCalls *calls;
  KlSipCall1 *call;
  GHashTable *routes; /* method -> the Route of the last such request a server received */
} Fixture;

#define SERVICE_ROUTE "<sip:orig@" PRIMARY ";lr>"

static void
on_request (SipdMessage *request, gpointer user_data)
{
  Fixture *f = user_data;
  sip_t *sip = sipd_message_get_sip (request);
  GString *route = g_string_new (NULL);

  for (const sip_route_t *r = sip->sip_route; r != NULL; r = r->r_next) {
    g_autofree char *text = sipd_message_print_header (request, r);
    g_string_append_printf (route, "%s%s", route->len ? ", " : "", text);
  }
  g_hash_table_replace (f->routes, g_strdup (sipd_message_get_method (request)), g_string_free (route, FALSE));
}

static void
on_line_changed (guint line, gpointer user_data)
{
  Fixture *f = user_data;

  if (f->calls != NULL)
    sipd_calls_line_changed (f->calls, line);
}

static gboolean
line_registered (gpointer data)
{
  return sipd_line_get_state (((Fixture *) data)->line) == SIPD_LINE_STATE_REGISTERED &&
         g_strcmp0 (kl_sip_line1_get_state (sipd_line_get_iface (((Fixture *) data)->line)), "registered") == 0;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GString *text = g_string_new ("sip local port: 0\n");
  const char *addresses[] = { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };

  f->c = data;
  f->clock = kl_clock_new_fake (11);
  f->world = test_world_new (f->clock);
  f->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++) {
    f->servers[i] = test_world_add_server (f->world, addresses[i]);
    test_server_set_request_hook (f->servers[i], on_request, f);
    if (f->c->service_route)
      test_server_set_service_route (f->servers[i], SERVICE_ROUTE);
  }
  if (f->c->proxy_apart)
    g_string_append (text, "sip outbound support: 1\nsip transport protocol: 2\n"
                           "sip proxy ip: " PRIMARY "\nsip proxy port: 5060\n"
                           "sip registrar ip: " EDGE "\nsip registrar port: 5060\n"
                           "sip backup proxy ip: " BACKUP "\nsip backup proxy port: 5060\n"
                           "sip backup registrar ip: " BACKUP_EDGE "\nsip backup registrar port: 5060\n");
  else
    kl_test_row_append_servers (text, f->c->row, &servers, FALSE);
  g_string_append_printf (text, "sip line1 user name: 1001\nsip line1 password: secret1001\n"
                                "sip outbound keep alive timer: 10\nsip outbound dual flow: %d\n",
                          f->c->dual_flow);
  if (f->c->service_route)
    g_string_append (text, "sip line1 explicit mwi subscription: 1\n");
  test_phone_init (&f->phone, f->clock, text->str);
  g_string_free (text, TRUE);
  f->phone.context.line_changed = on_line_changed;
  f->phone.context.line_changed_data = f;
  f->line = sipd_line_new (1, &f->phone.context);
  f->object_manager = g_dbus_object_manager_server_new ("/org/keepline/Sip");
  f->manager = kl_sip_manager1_skeleton_new ();
  f->calls = sipd_calls_new (&f->phone.context, f->object_manager, f->manager);
  sipd_calls_set_config (f->calls, f->phone.config);
  sipd_line_apply_config (f->line, f->phone.config);
  g_assert_true (test_world_run (f->world, line_registered, f, WAIT_MS));
  if (f->c->dual_flow)
    test_world_wait (f->world, 2000); /* reg-id 2 registers too */
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->call);
  g_clear_pointer (&f->calls, sipd_calls_free);
  g_clear_object (&f->manager);
  g_clear_object (&f->object_manager);
  g_clear_pointer (&f->line, sipd_line_free);
  test_phone_clear (&f->phone);
  test_world_free (f->world);
  kl_clock_unref (f->clock);
  g_hash_table_unref (f->routes);
}

static TestServer *
server_at (Fixture *f, const char *address)
{
  const char *addresses[] = { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++) {
    if (g_str_equal (addresses[i], address))
      return f->servers[i];
  }
  g_assert_not_reached ();
}

/* Where the line's flow goes in a place: its edge proxy, or its registrar. */
static TestServer *
next_hop (Fixture *f, KlTestPlace place)
{
  return server_at (f, place.edge ? place.edge : place.registrar);
}

static void
dial (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  const char *path = sipd_calls_dial (f->calls, f->line, "1002", SDP, &error);
  g_autoptr (GDBusObject) object = NULL;

  g_assert_no_error (error);
  object = g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (f->object_manager), path);
  f->call = KL_SIP_CALL1 (g_dbus_object_get_interface (object, "org.keepline.Sip.Call1"));
}

static gboolean
call_settled (gpointer data)
{
  const char *state = kl_sip_call1_get_state (((Fixture *) data)->call);

  return g_str_equal (state, "active") || g_str_equal (state, "ended");
}

/* ms of fake time from Dial() until the call is answered or ends */
static gint64
dial_and_wait (Fixture *f)
{
  gint64 start = kl_clock_now_ms (f->clock);

  dial (f);
  g_assert_true (test_world_run (f->world, call_settled, f, WAIT_MS));
  g_test_message ("%s: %s after %" G_GINT64_FORMAT " ms (%s)", f->c->row->name, kl_sip_call1_get_state (f->call),
                  kl_clock_now_ms (f->clock) - start, kl_sip_call1_get_end_reason (f->call));
  return kl_clock_now_ms (f->clock) - start;
}

static void
test_call_through_the_primary (Fixture *f, gconstpointer data)
{
  TestServer *hop = next_hop (f, kl_test_primary_place (f->c->row, &servers));
  gint64 ms = dial_and_wait (f);

  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  g_assert_cmpint (ms, <, 100);
  g_assert_cmpuint (test_server_count_requests (hop, "INVITE"), ==, 1);
  g_assert_cmpuint (test_server_count_requests (hop, "ACK"), ==, 1);
}

static void
test_new_call_while_the_primary_fails (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;
  TestServer *primary = next_hop (f, kl_test_primary_place (row, &servers));
  TestServer *backup = next_hop (f, kl_test_failover_place (row, &servers));
  gint64 bound = 100;
  gint64 ms;

  if (f->c->invite_reply != 0)
    test_server_set_invite_reply (primary, f->c->invite_reply);
  else
    test_server_fail (primary, f->c->fault);
  ms = dial_and_wait (f);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  g_assert_cmpuint (test_server_count_requests (backup, "INVITE"), ==, 1);
  g_assert_true (kl_sip_line1_get_on_backup (sipd_line_get_iface (f->line)) || f->c->dual_flow);
  if (f->c->fault == TEST_FAULT_HUNG && f->c->dual_flow)
    bound = 500 + 100; /* T1, then at once over reg-id 2 */
  else if (f->c->fault == TEST_FAULT_HUNG && row->outbound)
    bound = 500 + 1000 + 100; /* T1, a keep-alive check of 2·T1, the backup's registration */
  else if (f->c->fault == TEST_FAULT_HUNG)
    bound = 32000 + 100; /* Timer B: without keep-alives nothing tells sooner */
  g_assert_cmpint (ms, <=, bound);
}

/* Two forks answer: the first 200 makes the call, the second is
 * acknowledged and ended with BYE (RFC 3261 §13.2.2.4). */
static void
test_second_forked_answer_is_ended (Fixture *f, gconstpointer data)
{
  TestServer *hop = next_hop (f, kl_test_primary_place (f->c->row, &servers));

  test_server_set_invite_answer (hop, TEST_INVITE_FORKED);
  dial_and_wait (f);
  test_world_wait (f->world, 1000);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  g_assert_cmpuint (test_server_count_requests (hop, "INVITE"), ==, 1);
  g_assert_cmpuint (test_server_count_requests (hop, "ACK"), ==, 2);
  g_assert_cmpuint (test_server_count_requests (hop, "BYE"), ==, 1);
}

/* A proxy's 407 and then a registrar's 401: each challenge is answered, the
 * first one's credentials still sent with the second's. */
static void
test_proxy_and_registrar_challenges_are_both_answered (Fixture *f, gconstpointer data)
{
  TestServer *hop = next_hop (f, kl_test_primary_place (f->c->row, &servers));

  test_server_set_invite_answer (hop, TEST_INVITE_TWO_CHALLENGES);
  dial_and_wait (f);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  g_assert_cmpuint (test_server_count_requests (hop, "INVITE"), ==, 3);
}

/* RFC 3608: requests outside a dialog go through the outbound proxy and
 * then the registrar's Service-Route. */
static void
test_service_route_is_the_preloaded_route (Fixture *f, gconstpointer data)
{
  const char *expected = "<sip:" EDGE ":5060;transport=tcp;lr>, " SERVICE_ROUTE;

  test_world_wait (f->world, 1000); /* the MWI subscription */
  g_assert_cmpstr (g_hash_table_lookup (f->routes, "SUBSCRIBE"), ==, expected);
  dial_and_wait (f);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  g_assert_cmpstr (g_hash_table_lookup (f->routes, "INVITE"), ==, expected);
  /* the REGISTER itself never carries it */
  g_assert_null (strstr (g_hash_table_lookup (f->routes, "REGISTER"), "orig@"));
}

/* A proxy apart from the registrar is the call's next hop; when it fails
 * (or refuses with 503) the call goes through the backup proxy, with the
 * backup AOR, and never to a registrar. */
static void
test_call_through_a_proxy_apart (Fixture *f, gconstpointer data)
{
  TestServer *proxy = f->servers[0];
  TestServer *backup_proxy = f->servers[1];
  gboolean fails = f->c->fault != TEST_FAULT_NONE || f->c->invite_reply != 0;
  gint64 ms;

  if (f->c->invite_reply != 0)
    test_server_set_invite_reply (proxy, f->c->invite_reply);
  else if (f->c->fault != TEST_FAULT_NONE)
    test_server_fail (proxy, f->c->fault);
  ms = dial_and_wait (f);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "active");
  /* a hung proxy that answered pings: T1, then a ping's check of 2·T1 */
  g_assert_cmpint (ms, <=, f->c->fault == TEST_FAULT_HUNG ? 500 + 1000 + 100 : 100);
  g_assert_cmpuint (test_server_count_requests (fails ? backup_proxy : proxy, "INVITE"), ==, 1);
  g_assert_cmpuint (test_server_count_requests (f->servers[2], "INVITE"), ==, 0);
  g_assert_cmpuint (test_server_count_requests (f->servers[3], "INVITE"), ==, 0);
  g_assert_cmpint (kl_sip_line1_get_on_backup (sipd_line_get_iface (f->line)), ==, fails);
  if (fails)
    g_assert_cmpstr (kl_sip_line1_get_aor (sipd_line_get_iface (f->line)), ==, "sip:1001@" BACKUP);
}

static void
test_call_without_backup_ends_and_says_why (Fixture *f, gconstpointer data)
{
  test_server_fail (f->servers[0], TEST_FAULT_RESET);
  g_assert_cmpint (dial_and_wait (f), <=, 100);
  g_assert_cmpstr (kl_sip_call1_get_state (f->call), ==, "ended");
  g_assert_nonnull (strstr (kl_sip_call1_get_end_reason (f->call), "flow to " PRIMARY " failed"));
}

int
main (int argc, char **argv)
{
  static const TestFault faults[] = { TEST_FAULT_RESET, TEST_FAULT_FIN, TEST_FAULT_HUNG };
  static Case cases[KL_TEST_N_ROWS * (1 + G_N_ELEMENTS (faults)) + 9];
  static const struct {
    const char *name;
    TestFault fault;
    guint invite_reply;
  } apart[] = {
    { "through-it", TEST_FAULT_NONE, 0 },
    { "reset", TEST_FAULT_RESET, 0 },
    { "hung", TEST_FAULT_HUNG, 0 },
    { "503", TEST_FAULT_NONE, 503 },
  };
  guint n = 0;

  g_test_init (&argc, &argv, NULL);
  for (guint r = 0; r < KL_TEST_N_ROWS; r++) {
    const KlTestRow *row = &kl_test_rows[r];
    g_autofree char *plain = g_strdup_printf ("/sipd/call-routing/%s/through-the-primary", row->name);

    cases[n] = (Case) { row, TEST_FAULT_NONE, FALSE, 0 };
    g_test_add (plain, Fixture, &cases[n++], fixture_setup, test_call_through_the_primary, fixture_teardown);
    for (guint i = 0; i < G_N_ELEMENTS (faults); i++) {
      g_autofree char *path = g_strdup_printf ("/sipd/call-routing/%s/%s", row->name,
                                               faults[i] == TEST_FAULT_RESET ? "reset"
                                               : faults[i] == TEST_FAULT_FIN ? "fin" : "hung");
      cases[n] = (Case) { row, faults[i], FALSE, 0 };
      g_test_add (path, Fixture, &cases[n++], fixture_setup, test_new_call_while_the_primary_fails,
                  fixture_teardown);
    }
  }
  cases[n] = (Case) { &kl_test_rows[5], TEST_FAULT_HUNG, TRUE, 0 };
  g_test_add ("/sipd/call-routing/dual-flow/hung", Fixture, &cases[n++], fixture_setup,
              test_new_call_while_the_primary_fails, fixture_teardown);
  cases[n] = (Case) { &kl_test_rows[3], TEST_FAULT_NONE, FALSE, 503 };
  g_test_add ("/sipd/call-routing/outbound-on/backup-proxy-and-registrar/503", Fixture, &cases[n++], fixture_setup,
              test_new_call_while_the_primary_fails, fixture_teardown);
  cases[n] = (Case) { &kl_test_rows[4], TEST_FAULT_NONE, FALSE, 0 };
  g_test_add ("/sipd/call-routing/second-forked-answer-is-ended", Fixture, &cases[n], fixture_setup,
              test_second_forked_answer_is_ended, fixture_teardown);
  g_test_add ("/sipd/call-routing/proxy-and-registrar-challenges-are-both-answered", Fixture, &cases[n++],
              fixture_setup, test_proxy_and_registrar_challenges_are_both_answered, fixture_teardown);
  cases[n] = (Case) { &kl_test_rows[4], TEST_FAULT_NONE, FALSE, 0, TRUE };
  g_test_add ("/sipd/call-routing/service-route-is-the-preloaded-route", Fixture, &cases[n++], fixture_setup,
              test_service_route_is_the_preloaded_route, fixture_teardown);
  cases[n] = (Case) { &no_backup, TEST_FAULT_NONE, FALSE, 0 };
  g_test_add ("/sipd/call-routing/no-backup/reset", Fixture, &cases[n++], fixture_setup,
              test_call_without_backup_ends_and_says_why, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (apart); i++) {
    g_autofree char *path = g_strdup_printf ("/sipd/call-routing/proxy-apart/%s", apart[i].name);

    cases[n] = (Case) { &kl_test_rows[3], apart[i].fault, FALSE, apart[i].invite_reply, FALSE, TRUE };
    g_test_add (path, Fixture, &cases[n++], fixture_setup, test_call_through_a_proxy_apart, fixture_teardown);
  }
  return g_test_run ();
}
