/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Incoming calls on a fake clock: a scripted server (sipd-test-world.h) on
 * 127.0.102.2 sends INVITE, CANCEL, ACK and BYE to the phone over the TCP
 * connection line 1 registered over, and the phone's answers are counted.
 * The ring is refreshed every minute and ends with 480 after "sip ring
 * timeout"; a CANCEL ends it at once; an answer's 2xx is sent again until
 * its ACK, and without one the call ends with BYE after 64·T1; a BYE from
 * the far end ends the call; a second call gets 486 without call waiting;
 * past the caps of calls ringing on a line and of calls in all, 486. */
#include <string.h>

#include "sipd-calls.h"
#include "sipd-error.h"
#include "sipd-test-phone.h"
#include "sipd-test-world.h"

#define SERVER "127.0.102.2"
#define WAIT_MS 60000
#define SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

typedef struct {
  KlClock *clock;
  TestWorld *world;
  TestServer *server;
  TestPhone phone;
  SipdLine *line;
  GDBusObjectManagerServer *object_manager;
  KlSipManager1 *manager;
  SipdCalls *calls;
  GPtrArray *responses; /* "Call-ID status" of each answer from the phone */
  char *to_tag;         /* of the phone's answers */
  char *path;           /* of the last call that rang */
} Fixture;

static void
on_response (SipdMessage *response, gpointer user_data)
{
  Fixture *f = user_data;
  const char *tag = sipd_message_get_sip (response)->sip_to->a_tag;

  g_ptr_array_add (f->responses, g_strdup_printf ("%s %u %s", sipd_message_get_call_id (response),
                                                  sipd_message_get_status (response),
                                                  sipd_message_get_method (response)));
  if (tag != NULL && f->to_tag == NULL)
    f->to_tag = g_strdup (tag);
}

static guint
count_answers (Fixture *f, const char *call_id, guint status, const char *method)
{
  g_autofree char *want = g_strdup_printf ("%s %u %s", call_id, status, method);
  guint n = 0;

  for (guint i = 0; i < f->responses->len; i++)
    n += g_str_equal (g_ptr_array_index (f->responses, i), want);
  return n;
}

static gboolean
registered (gpointer data)
{
  return sipd_line_get_state (((Fixture *) data)->line) == SIPD_LINE_STATE_REGISTERED;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip transport protocol: 2\n"
                                           "sip outbound support: 1\n"
                                           "sip proxy ip: " SERVER "\nsip proxy port: 5060\n"
                                           "sip registrar ip: " SERVER "\nsip registrar port: 5060\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "%s",
                                           data ? (const char *) data : "");

  f->clock = kl_clock_new_fake (13);
  f->world = test_world_new (f->clock);
  f->server = test_world_add_server (f->world, SERVER);
  f->responses = g_ptr_array_new_with_free_func (g_free);
  test_server_set_response_hook (f->server, on_response, f);
  test_phone_init (&f->phone, f->clock, text);
  f->line = sipd_line_new (1, &f->phone.context);
  f->object_manager = g_dbus_object_manager_server_new ("/org/keepline/Sip");
  f->manager = kl_sip_manager1_skeleton_new ();
  f->calls = sipd_calls_new (&f->phone.context, f->object_manager, f->manager);
  sipd_calls_set_config (f->calls, f->phone.config);
  sipd_line_apply_config (f->line, f->phone.config);
  g_assert_true (test_world_run (f->world, registered, f, WAIT_MS));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->calls, sipd_calls_free);
  g_clear_object (&f->manager);
  g_clear_object (&f->object_manager);
  g_clear_pointer (&f->line, sipd_line_free);
  test_phone_clear (&f->phone);
  test_world_free (f->world);
  kl_clock_unref (f->clock);
  g_ptr_array_unref (f->responses);
  g_free (f->to_tag);
  g_free (f->path);
}

/* What sipd-manager.c does with a request: the calls first, then a new
 * INVITE rings (the rest of inbound handling is not this test's). */
static void
on_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  Fixture *f = user_data;
  const char *path;

  if (sipd_calls_handle_request (f->calls, flow, request))
    return;
  g_assert_cmpstr (sipd_message_get_method (request), ==, "INVITE");
  path = sipd_calls_ring (f->calls, f->line, flow, request);
  if (path != NULL) {
    g_free (f->path);
    f->path = g_strdup (path);
  }
}

/* The far end */

static void
far_send (Fixture *f, const char *method, const char *call_id, const char *branch, guint cseq, gboolean to_tag,
          const char *body)
{
  SipdBuilder *builder = sipd_builder_new_request (method, "sip:1001@127.0.0.1:5060;transport=tcp");
  g_autoptr (GBytes) request = NULL;

  sipd_builder_add (builder, "Via", "SIP/2.0/TCP " SERVER ":5060;branch=z9hG4bK%s", branch);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "\"Caller\" <sip:2000@" SERVER ">;tag=far");
  if (to_tag && f->to_tag != NULL)
    sipd_builder_add (builder, "To", "<sip:1001@" SERVER ">;tag=%s", f->to_tag);
  else
    sipd_builder_add (builder, "To", "<sip:1001@" SERVER ">");
  sipd_builder_add (builder, "Call-ID", "%s", call_id);
  sipd_builder_add (builder, "CSeq", "%u %s", cseq, method);
  sipd_builder_add (builder, "Contact", "<sip:2000@" SERVER ":5060;transport=tcp>");
  sipd_builder_add (builder, "Record-Route", "<sip:" SERVER ";lr;transport=tcp>");
  request = sipd_builder_finish (builder, "application/sdp", body);
  g_assert_true (test_server_send_to_phone (f->server, "1001", request));
  test_world_wait (f->world, 100);
}

static SipdCall *
ring (Fixture *f, const char *call_id)
{
  g_clear_pointer (&f->path, g_free);
  g_clear_pointer (&f->to_tag, g_free);
  far_send (f, "INVITE", call_id, call_id, 1, FALSE, SDP);
  return f->path ? sipd_calls_find (f->calls, f->path) : NULL;
}

static const char *
state_of (SipdCall *call)
{
  return sipd_call_state_to_string (sipd_call_get_state (call));
}

static const char *
end_reason_of (SipdCall *call)
{
  return kl_sip_call1_get_end_reason (sipd_call_get_iface (call));
}

/* Tests */

static void
test_unanswered_call_rings_then_ends_with_480 (Fixture *f, gconstpointer data)
{
  SipdCall *call;

  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  call = ring (f, "ring1");
  g_assert_nonnull (call);
  g_assert_cmpstr (state_of (call), ==, "ringing");
  g_assert_cmpstr (kl_sip_call1_get_remote_display_name (sipd_call_get_iface (call)), ==, "Caller");
  g_assert_cmpstr (kl_sip_call1_get_remote_sdp (sipd_call_get_iface (call)), ==, SDP);
  g_assert_cmpuint (count_answers (f, "ring1", 180, "INVITE"), ==, 1);
  /* the ring timeout is 130 s here: a 180 again at 60 s and 120 s */
  test_world_wait (f->world, 129000);
  g_assert_cmpuint (count_answers (f, "ring1", 180, "INVITE"), ==, 3);
  g_assert_cmpuint (count_answers (f, "ring1", 480, "INVITE"), ==, 0);
  test_world_wait (f->world, 1000);
  g_assert_cmpuint (count_answers (f, "ring1", 480, "INVITE"), ==, 1);
  g_assert_cmpstr (state_of (call), ==, "ended");
  g_assert_cmpstr (end_reason_of (call), ==, "no answer");
}

static void
test_cancel_ends_the_ringing_at_once (Fixture *f, gconstpointer data)
{
  SipdCall *call;

  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  call = ring (f, "cancel1");
  far_send (f, "CANCEL", "cancel1", "cancel1", 1, FALSE, NULL);
  g_assert_cmpuint (count_answers (f, "cancel1", 200, "CANCEL"), ==, 1);
  g_assert_cmpuint (count_answers (f, "cancel1", 487, "INVITE"), ==, 1);
  g_assert_cmpstr (state_of (call), ==, "ended");
  g_assert_cmpstr (end_reason_of (call), ==, "cancelled by the caller");
}

static void
test_answer_is_sent_until_its_ack (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SipdCall *call;

  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  call = ring (f, "answer1");
  g_assert_false (sipd_call_answer (call, "not an SDP", &error));
  g_assert_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED);
  g_assert_cmpstr (state_of (call), ==, "ringing");
  g_assert_true (sipd_call_answer (call, SDP, NULL));
  g_assert_cmpstr (state_of (call), ==, "active");
  test_world_wait (f->world, 500 + 1000);
  g_assert_cmpuint (count_answers (f, "answer1", 200, "INVITE"), ==, 3); /* at 0, T1, 3·T1 */
  far_send (f, "ACK", "answer1", "answer1ack", 1, TRUE, NULL);
  test_world_wait (f->world, 10000);
  g_assert_cmpuint (count_answers (f, "answer1", 200, "INVITE"), ==, 3);
  /* the far end hangs up */
  far_send (f, "BYE", "answer1", "answer1bye", 2, TRUE, NULL);
  g_assert_cmpuint (count_answers (f, "answer1", 200, "BYE"), ==, 1);
  g_assert_cmpstr (state_of (call), ==, "ended");
  g_assert_cmpstr (end_reason_of (call), ==, "hung up by the far end");
  /* a hang-up now is refused and changes nothing */
  g_clear_error (&error);
  g_assert_false (sipd_call_hangup (call, &error));
  g_assert_error (error, SIPD_ERROR, SIPD_ERROR_WRONG_STATE);
  g_assert_cmpstr (end_reason_of (call), ==, "hung up by the far end");
}

static void
test_answer_without_ack_ends_with_bye (Fixture *f, gconstpointer data)
{
  SipdCall *call;

  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  call = ring (f, "noack1");
  g_assert_true (sipd_call_answer (call, SDP, NULL));
  test_world_wait (f->world, 31800);
  g_assert_cmpstr (state_of (call), ==, "active");
  test_world_wait (f->world, 200); /* 64·T1 */
  g_assert_cmpstr (state_of (call), ==, "ended");
  g_assert_cmpstr (end_reason_of (call), ==, "no ACK from the far end");
  g_assert_cmpuint (test_server_count_requests (f->server, "BYE"), ==, 1);
}

static void
test_second_call_is_busy_without_call_waiting (Fixture *f, gconstpointer data)
{
  SipdCall *first;

  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  first = ring (f, "first");
  g_assert_nonnull (first);
  g_assert_null (ring (f, "second"));
  g_assert_cmpuint (count_answers (f, "second", 486, "INVITE"), ==, 1);
  g_assert_cmpstr (state_of (first), ==, "ringing");
}

/* A line rings at most SIPD_MAX_RINGING_PER_LINE calls at once; answered
 * ones make room, up to SIPD_MAX_CALLS in all. */
static void
test_calls_past_the_caps_are_busy (Fixture *f, gconstpointer data)
{
  sipd_stack_set_request_handler (f->phone.stack, on_request, f);
  for (guint i = 0; i < SIPD_MAX_CALLS; i++) {
    g_autofree char *call_id = g_strdup_printf ("cap%u", i);
    SipdCall *call = ring (f, call_id);

    g_assert_nonnull (call);
    if (i % SIPD_MAX_RINGING_PER_LINE == SIPD_MAX_RINGING_PER_LINE - 1) {
      g_assert_null (ring (f, "rings-too-many"));
      for (guint j = 0; j < SIPD_MAX_RINGING_PER_LINE; j++) {
        g_autofree char *path = g_strdup_printf ("/org/keepline/Sip/Call/%u", i - j + 1);
        g_assert_true (sipd_call_answer (sipd_calls_find (f->calls, path), SDP, NULL));
      }
    }
  }
  g_assert_cmpuint (count_answers (f, "rings-too-many", 486, "INVITE"), ==, SIPD_MAX_CALLS / SIPD_MAX_RINGING_PER_LINE);
  g_assert_null (ring (f, "one-too-many"));
  g_assert_cmpuint (count_answers (f, "one-too-many", 486, "INVITE"), ==, 1);
  g_assert_cmpuint (sipd_calls_count (f->calls), ==, SIPD_MAX_CALLS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sipd/calls-in/unanswered-call-rings-then-ends-with-480", Fixture, "sip ring timeout: 130\n",
              fixture_setup, test_unanswered_call_rings_then_ends_with_480, fixture_teardown);
  g_test_add ("/sipd/calls-in/cancel-ends-the-ringing-at-once", Fixture, NULL, fixture_setup,
              test_cancel_ends_the_ringing_at_once, fixture_teardown);
  g_test_add ("/sipd/calls-in/answer-is-sent-until-its-ack", Fixture, NULL, fixture_setup,
              test_answer_is_sent_until_its_ack, fixture_teardown);
  g_test_add ("/sipd/calls-in/answer-without-ack-ends-with-bye", Fixture, NULL, fixture_setup,
              test_answer_without_ack_ends_with_bye, fixture_teardown);
  g_test_add ("/sipd/calls-in/second-call-is-busy-without-call-waiting", Fixture, "sip call waiting: 0\n",
              fixture_setup, test_second_call_is_busy_without_call_waiting, fixture_teardown);
  g_test_add ("/sipd/calls-in/calls-past-the-caps-are-busy", Fixture, NULL, fixture_setup,
              test_calls_past_the_caps_are_busy, fixture_teardown);
  return g_test_run ();
}
