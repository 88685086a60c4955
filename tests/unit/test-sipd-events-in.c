/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a line's servers tell it about voicemail, and who may:
 * - in a subscription: a NOTIFY whose body is not of the type the SUBSCRIBE
 *   accepted gets 415 with Accept and changes nothing; one of the right type
 *   sets MessagesWaiting; the same NOTIFY over another flow is ignored;
 * - unsolicited (RFC 3842 §5.2, a PBX that notifies without a SUBSCRIBE):
 *   shown when it comes over the line's own flow to its registrar or proxy,
 *   answered 481 when it comes over another line's flow to another server.
 * The subscription's notifier is a socket of the test on 127.0.0.1; the
 * lines' servers are scripted ones (sipd-test-world.h) on 127.0.103.2 and
 * 127.0.103.3. Everything on a fake clock. */
#include <string.h>

#include "sipd-events.h"
#include "sipd-inbound.h"
#include "sipd-line.h"
#include "sipd-test-phone.h"
#include "sipd-test-world.h"

#define SERVER_1 "127.0.103.2"
#define SERVER_2 "127.0.103.3"
#define WAIT_MS 60000
#define MWI_BODY "Messages-Waiting: yes\r\nVoice-Message: 3/1 (0/0)\r\n"

/* A subscription */

typedef struct {
  KlClock *clock;
  SipdStack *stack;
  GSocket *notifier;
  GSocket *other; /* another server address the phone has a flow to */
  SipdFlow *flow;
  SipdFlow *other_flow;
  KlSipLine1 *iface;
  SipdLineSettings *settings;
  SipdPlanServers *plan;
  SipdEvents *events;
  char *subscribe; /* its text as sent */
} Subscribed;

static void
on_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  Subscribed *f = user_data;

  if (!sipd_events_handle_notify (f->events, flow, request))
    g_error ("the subscription did not take the NOTIFY");
}

static GSocket *
bound_socket (GSocketAddress **ret_address)
{
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  *ret_address = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return socket;
}

static void
spin (void)
{
  for (guint i = 0; i < 30; i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

/* What the phone sent to SOCKET since the last call, or NULL. */
static char *
receive (GSocket *socket)
{
  char buffer[4096];
  gssize got;

  spin ();
  got = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
  return got > 0 ? g_strndup (buffer, (gsize) got) : NULL;
}

/* The NAME line of TEXT ("Via: …"); the test fails without one. */
static char *
header_line (const char *text, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);

  for (guint i = 1; lines[i] && *lines[i]; i++)
    if (g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0 && lines[i][strlen (name)] == ':')
      return g_strdup (lines[i]);
  g_error ("no %s in:\n%s", name, text);
}

/* A response to REQUEST: STATUS_LINE ("200 OK"), its transaction's headers,
 * a To tag, then EXTRA header lines. */
static char *
response_to (const char *request, const char *status_line, const char *extra)
{
  g_autofree char *via = header_line (request, "Via");
  g_autofree char *from = header_line (request, "From");
  g_autofree char *to = header_line (request, "To");
  g_autofree char *call_id = header_line (request, "Call-ID");
  g_autofree char *cseq = header_line (request, "CSeq");

  return g_strdup_printf ("SIP/2.0 %s\r\n%s\r\n%s\r\n%s;tag=notifier\r\n%s\r\n%s\r\n%s"
                          "Content-Length: 0\r\n\r\n",
                          status_line, via, from, to, call_id, cseq, extra);
}

static void
send_text (GSocket *from, SipdFlow *to, const char *text)
{
  g_autoptr (GError) error = NULL;
  GInetSocketAddress *local = sipd_flow_get_local (to);

  g_assert_nonnull (local);
  g_socket_send_to (from, G_SOCKET_ADDRESS (local), text, strlen (text), NULL, &error);
  g_assert_no_error (error);
  spin ();
}

static void
subscribed_setup (Subscribed *f, gconstpointer data)
{
  static const char config_text[] = "sip proxy ip: keepline.test\n"
                                    "sip line1 user name: 1001\n"
                                    "sip line1 explicit mwi subscription: 1\n";
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GSocketAddress) notifier_address = NULL;
  g_autoptr (GSocketAddress) other_address = NULL;
  g_autoptr (KlConfig) config = kl_config_new (NULL);
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *ok = NULL;
  SipdFailoverChoice primary = { 0 };

  f->clock = kl_clock_new_fake (3);
  f->stack = sipd_stack_new (f->clock, &params, &error);
  g_assert_no_error (error);
  sipd_stack_set_request_handler (f->stack, on_request, f);
  f->notifier = bound_socket (&notifier_address);
  f->other = bound_socket (&other_address);
  f->flow = sipd_flow_ref (
      sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (notifier_address), "keepline.test"));
  f->other_flow = sipd_flow_ref (
      sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (other_address), "other.test"));

  kl_config_parse_data (config, "test.cfg", config_text, sizeof config_text - 1, diagnostics);
  g_assert_cmpuint (diagnostics->len, ==, 0);
  f->settings = sipd_line_settings_new (config, 1);
  f->plan = sipd_plan_servers_new (f->settings, &primary);
  f->iface = kl_sip_line1_skeleton_new ();
  f->events = sipd_events_new (f->stack, f->iface, f->settings, f->plan, NULL);
  sipd_events_subscribe (f->events, f->flow);

  f->subscribe = receive (f->notifier);
  g_assert_nonnull (f->subscribe);
  g_assert_true (g_str_has_prefix (f->subscribe, "SUBSCRIBE "));
  ok = response_to (f->subscribe, "200 OK", "Expires: 3600\r\nContact: <sip:mwi@keepline.test>\r\n");
  send_text (f->notifier, f->flow, ok);
}

static void
subscribed_teardown (Subscribed *f, gconstpointer data)
{
  sipd_events_free (f->events);
  g_object_unref (f->iface);
  sipd_plan_servers_free (f->plan);
  sipd_line_settings_free (f->settings);
  sipd_flow_unref (f->flow);
  sipd_flow_unref (f->other_flow);
  sipd_stack_free (f->stack);
  g_object_unref (f->notifier);
  g_object_unref (f->other);
  kl_clock_unref (f->clock);
  g_free (f->subscribe);
}

/* A NOTIFY in the dialog the SUBSCRIBE made. */
static char *
notify_text (Subscribed *f, guint cseq, const char *content_type, const char *body)
{
  g_autofree char *from_line = header_line (f->subscribe, "From");
  g_autofree char *to_line = header_line (f->subscribe, "To");
  g_autofree char *call_id = header_line (f->subscribe, "Call-ID");
  const char *from = from_line + strlen ("From:");
  const char *to = to_line + strlen ("To:");

  return g_strdup_printf ("NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-notify-%u\r\n"
                          "From:%s;tag=notifier\r\nTo:%s\r\n%s\r\nCSeq: %u NOTIFY\r\n"
                          "Contact: <sip:mwi@keepline.test>\r\n"
                          "Event: message-summary\r\nSubscription-State: active;expires=3600\r\n"
                          "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
                          cseq, to, from, call_id, cseq, content_type, strlen (body),
                          body);
}

static void
test_a_notify_of_another_type_gets_415_and_changes_nothing (Subscribed *f, gconstpointer data)
{
  g_autofree char *wrong = notify_text (f, 1, "text/plain", MWI_BODY);
  g_autofree char *right = notify_text (f, 2, "application/simple-message-summary", MWI_BODY);
  g_autofree char *answer = NULL;
  g_autofree char *second = NULL;
  g_autofree char *accept = NULL;

  send_text (f->notifier, f->flow, wrong);
  answer = receive (f->notifier);
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, "SIP/2.0 415 "));
  accept = header_line (answer, "Accept");
  g_assert_cmpstr (accept, ==, "Accept: application/simple-message-summary");
  g_assert_false (kl_sip_line1_get_messages_waiting (f->iface));

  send_text (f->notifier, f->flow, right);
  second = receive (f->notifier);
  g_assert_nonnull (second);
  g_assert_true (g_str_has_prefix (second, "SIP/2.0 200 "));
  g_assert_true (kl_sip_line1_get_messages_waiting (f->iface));
}

static void
test_a_notify_over_another_flow_is_ignored (Subscribed *f, gconstpointer data)
{
  g_autofree char *notify = notify_text (f, 1, "application/simple-message-summary", MWI_BODY);
  g_autofree char *answer = NULL;

  send_text (f->other, f->other_flow, notify);
  answer = receive (f->other);
  g_assert_null (answer);
  g_assert_false (kl_sip_line1_get_messages_waiting (f->iface));
}

/* The line came back to these subscriptions (a suspicion cleared, a move
 * undone): what their notifier said last shows again, voicemail included. */
static void
test_the_voicemail_shows_again_when_the_line_returns (Subscribed *f, gconstpointer data)
{
  g_autofree char *notify = notify_text (f, 1, "application/simple-message-summary", MWI_BODY);
  g_autofree char *answer = NULL;
  guint32 new_messages = 0, old_messages = 0;

  send_text (f->notifier, f->flow, notify);
  answer = receive (f->notifier);
  g_assert_true (kl_sip_line1_get_messages_waiting (f->iface));
  /* another plan's subscriptions showed theirs meanwhile */
  kl_sip_line1_set_messages_waiting (f->iface, FALSE);
  kl_sip_line1_set_voice_messages (f->iface, g_variant_new ("(uu)", 0, 0));
  sipd_events_publish (f->events);
  g_assert_true (kl_sip_line1_get_messages_waiting (f->iface));
  g_variant_get (kl_sip_line1_get_voice_messages (f->iface), "(uu)", &new_messages, &old_messages);
  g_assert_cmpuint (new_messages, ==, 3);
  g_assert_cmpuint (old_messages, ==, 1);
}

/* RFC 6665 §4.1.2.1: a 423 with Min-Expires asks for a longer subscription */
static void
test_a_423_subscribes_again_for_min_expires (Subscribed *f, gconstpointer data)
{
  g_autofree char *subscribe = NULL;
  g_autofree char *too_brief = NULL;
  g_autofree char *again = NULL;
  g_autofree char *expires = NULL;

  sipd_events_subscribe (f->events, f->other_flow); /* a new dialog, to the other server */
  subscribe = receive (f->other);
  g_assert_nonnull (subscribe);
  too_brief = response_to (subscribe, "423 Interval Too Brief", "Min-Expires: 172800\r\n");
  send_text (f->other, f->other_flow, too_brief);
  again = receive (f->other);
  g_assert_nonnull (again);
  g_assert_true (g_str_has_prefix (again, "SUBSCRIBE "));
  expires = header_line (again, "Expires");
  g_assert_cmpstr (expires, ==, "Expires: 172800");
}

/* Unsolicited */

typedef struct {
  KlClock *clock;
  TestWorld *world;
  TestServer *servers[2];
  TestPhone phone;
  SipdLine *lines[2];
  SipdInbound *inbound;
  GPtrArray *answers; /* "status" of each answer of the phone to a server */
} Unsolicited;

static guint
find_line (const char *user, gpointer user_data)
{
  return g_str_equal (user, "1001") ? 1 : g_str_equal (user, "1002") ? 2 : 0;
}

static gboolean
on_notify (SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  Unsolicited *f = user_data;

  return sipd_line_handle_notify (f->lines[0], flow, request) || sipd_line_handle_notify (f->lines[1], flow, request);
}

static void
on_message (guint line, const char *from, const char *content_type, const char *body, gpointer user_data)
{
}

static void
on_invite (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
}

static gboolean
on_unsolicited_mwi (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  return sipd_line_show_unsolicited_mwi (((Unsolicited *) user_data)->lines[line - 1], flow, request);
}

static const SipdInboundHandlers handlers = { find_line, on_notify, on_message, on_invite, on_unsolicited_mwi };

/* What sipd-manager.c does with a request outside a call. */
static void
on_phone_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  sipd_inbound_handle (((Unsolicited *) user_data)->inbound, flow, request);
}

static void
on_answer (SipdMessage *response, gpointer user_data)
{
  Unsolicited *f = user_data;

  if (g_str_equal (sipd_message_get_method (response), "NOTIFY"))
    g_ptr_array_add (f->answers, g_strdup_printf ("%u", sipd_message_get_status (response)));
}

static gboolean
both_registered (gpointer data)
{
  Unsolicited *f = data;

  return sipd_line_get_state (f->lines[0]) == SIPD_LINE_STATE_REGISTERED &&
         sipd_line_get_state (f->lines[1]) == SIPD_LINE_STATE_REGISTERED;
}

static void
unsolicited_setup (Unsolicited *f, gconstpointer data)
{
  const char *config_text = "sip local port: 0\n"
                            "sip transport protocol: 2\n"
                            "sip outbound support: 1\n"
                            "sip line1 proxy ip: " SERVER_1 "\nsip line1 proxy port: 5060\n"
                            "sip line1 user name: 1001\nsip line1 password: secret1001\n"
                            "sip line2 proxy ip: " SERVER_2 "\nsip line2 proxy port: 5060\n"
                            "sip line2 user name: 1002\nsip line2 password: secret1002\n";

  f->clock = kl_clock_new_fake (17);
  f->world = test_world_new (f->clock);
  f->servers[0] = test_world_add_server (f->world, SERVER_1);
  f->servers[1] = test_world_add_server (f->world, SERVER_2);
  f->answers = g_ptr_array_new_with_free_func (g_free);
  test_server_set_response_hook (f->servers[0], on_answer, f);
  test_server_set_response_hook (f->servers[1], on_answer, f);
  test_phone_init (&f->phone, f->clock, config_text);
  f->inbound = sipd_inbound_new (f->phone.stack, &handlers, f);
  sipd_stack_set_request_handler (f->phone.stack, on_phone_request, f);
  for (guint i = 0; i < 2; i++) {
    f->lines[i] = sipd_line_new (i + 1, &f->phone.context);
    sipd_line_apply_config (f->lines[i], f->phone.config);
  }
  g_assert_true (test_world_run (f->world, both_registered, f, WAIT_MS));
}

static void
unsolicited_teardown (Unsolicited *f, gconstpointer data)
{
  for (guint i = 0; i < 2; i++)
    sipd_line_free (f->lines[i]);
  sipd_inbound_free (f->inbound);
  test_phone_clear (&f->phone);
  test_world_free (f->world);
  kl_clock_unref (f->clock);
  g_ptr_array_unref (f->answers);
}

/* An unsolicited NOTIFY for USER from SERVER, over the connection the line
 * of BINDING_USER registered over. */
static void
server_notifies (Unsolicited *f, TestServer *server, const char *binding_user, const char *user, const char *host)
{
  g_autofree char *uri = g_strdup_printf ("sip:%s@127.0.0.1;transport=tcp", user);
  SipdBuilder *builder = sipd_builder_new_request ("NOTIFY", uri);
  g_autoptr (GBytes) notify = NULL;
  g_autofree char *branch = sipd_new_branch ();

  sipd_builder_add (builder, "Via", "SIP/2.0/TCP %s:5060;branch=%s", host, branch);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "<sip:voicemail@%s>;tag=vm", host);
  sipd_builder_add (builder, "To", "<sip:%s@%s>", user, host);
  sipd_builder_add (builder, "Call-ID", "unsolicited-%s", branch);
  sipd_builder_add (builder, "CSeq", "1 NOTIFY");
  sipd_builder_add (builder, "Event", "message-summary");
  sipd_builder_add (builder, "Subscription-State", "active");
  notify = sipd_builder_finish (builder, "application/simple-message-summary", MWI_BODY);
  g_assert_true (test_server_send_to_phone (server, binding_user, notify));
  test_world_wait (f->world, 100);
}

static void
test_unsolicited_mwi_from_the_lines_server_is_shown (Unsolicited *f, gconstpointer data)
{
  KlSipLine1 *iface = sipd_line_get_iface (f->lines[0]);
  guint32 new_messages, old_messages;

  server_notifies (f, f->servers[0], "1001", "1001", SERVER_1);
  g_assert_cmpuint (f->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->answers, 0), ==, "200");
  g_assert_true (kl_sip_line1_get_messages_waiting (iface));
  g_variant_get (kl_sip_line1_get_voice_messages (iface), "(uu)", &new_messages, &old_messages);
  g_assert_cmpuint (new_messages, ==, 3);
  g_assert_cmpuint (old_messages, ==, 1);
  g_assert_false (kl_sip_line1_get_messages_waiting (sipd_line_get_iface (f->lines[1])));
}

static void
test_unsolicited_mwi_over_another_lines_flow_gets_481 (Unsolicited *f, gconstpointer data)
{
  /* server 2 is line 2's; it speaks for 1001 over line 2's connection */
  server_notifies (f, f->servers[1], "1002", "1001", SERVER_2);
  g_assert_cmpuint (f->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->answers, 0), ==, "481");
  g_assert_false (kl_sip_line1_get_messages_waiting (sipd_line_get_iface (f->lines[0])));
  g_assert_false (kl_sip_line1_get_messages_waiting (sipd_line_get_iface (f->lines[1])));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sipd/events-in/a-notify-of-another-type-gets-415-and-changes-nothing", Subscribed, NULL,
              subscribed_setup, test_a_notify_of_another_type_gets_415_and_changes_nothing, subscribed_teardown);
  g_test_add ("/sipd/events-in/a-notify-over-another-flow-is-ignored", Subscribed, NULL, subscribed_setup,
              test_a_notify_over_another_flow_is_ignored, subscribed_teardown);
  g_test_add ("/sipd/events-in/the-voicemail-shows-again-when-the-line-returns", Subscribed, NULL, subscribed_setup,
              test_the_voicemail_shows_again_when_the_line_returns, subscribed_teardown);
  g_test_add ("/sipd/events-in/a-423-subscribes-again-for-min-expires", Subscribed, NULL, subscribed_setup,
              test_a_423_subscribes_again_for_min_expires, subscribed_teardown);
  g_test_add ("/sipd/events-in/unsolicited-mwi-from-the-lines-server-is-shown", Unsolicited, NULL,
              unsolicited_setup, test_unsolicited_mwi_from_the_lines_server_is_shown, unsolicited_teardown);
  g_test_add ("/sipd/events-in/unsolicited-mwi-over-another-lines-flow-gets-481", Unsolicited, NULL,
              unsolicited_setup, test_unsolicited_mwi_over_another_lines_flow_gets_481, unsolicited_teardown);
  return g_test_run ();
}
