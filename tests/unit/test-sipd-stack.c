/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stack as a UDP peer sees it: a server's requests answered once, their
 * retransmissions answered again from the server transaction; a stranger's
 * datagrams dropped unread and counted, with no flow for them. */
#include <string.h>

#include "sipd-stack.h"

typedef struct {
  KlClock *clock;
  SipdStack *stack;
  guint requests;
  guint64 rejected;
} Fixture;

static void
on_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  Fixture *f = user_data;
  SipdBuilder *builder = sipd_builder_new_response (request, 200, "OK", "tag");
  g_autoptr (GBytes) response = sipd_builder_finish (builder, NULL, NULL);

  f->requests++;
  sipd_stack_respond (stack, flow, request, response);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GError) error = NULL;

  f->clock = kl_clock_new_fake (9);
  f->stack = sipd_stack_new (f->clock, &params, &error);
  g_assert_no_error (error);
  sipd_stack_set_request_handler (f->stack, on_request, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sipd_stack_free (f->stack);
  kl_clock_unref (f->clock);
}

static GSocket *
stranger_socket (void)
{
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_socket_bind (socket, any, TRUE, NULL);
  g_socket_set_timeout (socket, 5);
  return socket;
}

/* A peer the phone opened a flow to: one of its servers. */
static GSocket *
peer_socket (Fixture *f)
{
  GSocket *socket = stranger_socket ();
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  g_assert_nonnull (sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (address),
                                         "server.keepline.test"));
  return socket;
}

static void
send_options (Fixture *f, GSocket *peer, const char *branch)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (
    loopback, g_inet_socket_address_get_port (sipd_stack_get_udp_address (f->stack)));
  g_autofree char *text = g_strdup_printf ("OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n"
                                           "Via: SIP/2.0/UDP 127.0.0.1;branch=%s\r\n"
                                           "From: <sip:peer@127.0.0.1>;tag=p\r\n"
                                           "To: <sip:1001@127.0.0.1>\r\n"
                                           "Call-ID: %s\r\n"
                                           "CSeq: 1 OPTIONS\r\n"
                                           "Content-Length: 0\r\n\r\n",
                                           branch, branch);

  g_socket_send_to (peer, to, text, strlen (text), NULL, NULL);
}

static char *
receive_answer (GSocket *peer)
{
  char buffer[2048];
  gssize got;

  for (guint i = 0; i < 200 && !g_socket_condition_check (peer, G_IO_IN); i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  got = g_socket_receive (peer, buffer, sizeof buffer - 1, NULL, NULL);
  g_assert_cmpint (got, >, 0);
  buffer[got] = '\0';
  return g_strdup (buffer);
}

static char *
receive_answer_or_none (GSocket *peer)
{
  char buffer[2048];
  gssize got;

  for (guint i = 0; i < 50 && !g_socket_condition_check (peer, G_IO_IN); i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (200);
  }
  if (!g_socket_condition_check (peer, G_IO_IN))
    return NULL;
  got = g_socket_receive (peer, buffer, sizeof buffer - 1, NULL, NULL);
  g_assert_cmpint (got, >, 0);
  buffer[got] = '\0';
  return g_strdup (buffer);
}

static void
test_retransmitted_request_is_answered_from_the_transaction (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) peer = peer_socket (f);
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;

  send_options (f, peer, "z9hG4bKonce");
  first = receive_answer (peer);
  send_options (f, peer, "z9hG4bKonce");
  again = receive_answer (peer);
  g_assert_true (g_str_has_prefix (first, "SIP/2.0 200 OK\r\n"));
  g_assert_cmpstr (again, ==, first);
  g_assert_cmpuint (f->requests, ==, 1);

  /* after Timer J the same branch is a new request */
  kl_clock_advance (f->clock, 32000);
  send_options (f, peer, "z9hG4bKonce");
  g_free (receive_answer (peer));
  g_assert_cmpuint (f->requests, ==, 2);
}

static void
on_rejected (SipdStack *stack, guint64 rejected, gpointer user_data)
{
  ((Fixture *) user_data)->rejected = rejected;
}

static void
test_strangers_are_dropped_unread_and_counted (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) server = peer_socket (f); /* the one address that is heard */

  g_assert_nonnull (server);
  sipd_stack_set_rejected_handler (f->stack, on_rejected, f);
  for (guint i = 0; i < 100; i++) {
    g_autoptr (GSocket) stranger = stranger_socket ();
    g_autofree char *branch = g_strdup_printf ("z9hG4bKstranger%u", i);

    send_options (f, stranger, branch);
    for (guint j = 0; j < 20 && !g_socket_condition_check (stranger, G_IO_IN); j++) {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (100);
    }
    g_assert_false (g_socket_condition_check (stranger, G_IO_IN));
  }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (f->requests, ==, 0);
  g_assert_cmpuint (sipd_stack_get_n_flows (f->stack), ==, 1); /* the server's */
  g_assert_cmpuint (f->rejected, ==, 0);                       /* told once a second, not per datagram */
  kl_clock_advance (f->clock, 1000);
  g_assert_cmpuint (f->rejected, ==, 100);
}

/* A server gone mad cannot make the phone keep more than 64 requests of one
 * flow open: the rest are dropped until earlier ones end. */
static void
test_open_requests_of_a_flow_are_capped (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) server = peer_socket (f);

  for (guint i = 0; i < 100; i++) {
    g_autofree char *branch = g_strdup_printf ("z9hG4bKmany%u", i);
    send_options (f, server, branch);
    g_free (receive_answer_or_none (server));
  }
  g_assert_cmpuint (f->requests, ==, 64);
  kl_clock_advance (f->clock, 32000); /* Timer J */
  send_options (f, server, "z9hG4bKafter");
  g_free (receive_answer_or_none (server));
  g_assert_cmpuint (f->requests, ==, 65);
}

static void
test_malformed_datagram_is_dropped_and_the_next_one_answered (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) peer = peer_socket (f);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (
    loopback, g_inet_socket_address_get_port (sipd_stack_get_udp_address (f->stack)));
  static const char garbage[] = "OPTIONS sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n";
  g_autofree char *answer = NULL;

  g_socket_send_to (peer, to, garbage, sizeof garbage - 1, NULL, NULL);
  send_options (f, peer, "z9hG4bKafter");
  answer = receive_answer (peer);
  g_assert_true (strstr (answer, "z9hG4bKafter") != NULL);
  g_assert_cmpuint (f->requests, ==, 1);
}

static void
test_a_flow_nothing_uses_is_closed (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new_from_string ("127.0.0.1", 5999);
  SipdFlow *flow = sipd_flow_ref (sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (remote),
                                                       "sip.keepline.test"));

  g_assert_cmpuint (sipd_stack_get_n_flows (f->stack), ==, 1);
  /* a line still holds it */
  sipd_stack_close_unused_flows (f->stack);
  g_assert_cmpuint (sipd_stack_get_n_flows (f->stack), ==, 1);
  g_assert_cmpint (sipd_flow_get_state (flow), ==, SIPD_FLOW_STATE_ACTIVE);
  /* the line let go of it */
  sipd_flow_unref (flow);
  sipd_stack_close_unused_flows_soon (f->stack);
  g_assert_cmpuint (sipd_stack_get_n_flows (f->stack), ==, 1);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (sipd_stack_get_n_flows (f->stack), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/sipd/stack/a-flow-nothing-uses-any-more-is-closed", test_a_flow_nothing_uses_is_closed);
  ADD ("/sipd/stack/retransmitted-request-is-answered-from-the-transaction",
       test_retransmitted_request_is_answered_from_the_transaction);
  ADD ("/sipd/stack/strangers-are-dropped-unread-and-counted", test_strangers_are_dropped_unread_and_counted);
  ADD ("/sipd/stack/open-requests-of-a-flow-are-capped", test_open_requests_of_a_flow_are_capped);
  ADD ("/sipd/stack/malformed-datagram-is-dropped-and-the-next-one-answered",
       test_malformed_datagram_is_dropped_and_the_next_one_answered);
#undef ADD
  return g_test_run ();
}
