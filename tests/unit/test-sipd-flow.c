/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Flows over real loopback sockets, with keep-alive timers on a fake clock:
 * framing, CRLF ping and pong, STUN, and each way a flow fails. */
#include <string.h>
#include <sys/socket.h>

#include "sipd-flow.h"
#include "sipd-stun.h"

#define REAL_TIMEOUT_MS 5000

typedef struct {
  KlClock *clock;
  GSocket *listener;   /* TCP server side */
  GSocket *peer;       /* the accepted connection */
  GSocket *udp_server; /* UDP server side */
  SipdUdpSocket *udp;  /* the client's shared UDP socket */
  SipdFlow *flow;
  GPtrArray *messages;
  guint state_changes;
  guint answers;
} Fixture;

/* Callbacks */

static void
on_message (SipdFlow *flow, GBytes *message, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->messages, g_bytes_ref (message));
}

static void
on_state_changed (SipdFlow *flow, gpointer user_data)
{
  Fixture *f = user_data;
  f->state_changes++;
}

static void
on_answered (SipdFlow *flow, gpointer user_data)
{
  Fixture *f = user_data;
  f->answers++;
}

static const SipdFlowCallbacks callbacks = { on_message, on_state_changed, on_answered };

static void
on_udp_datagram (GInetSocketAddress *from, const guint8 *data, gsize length, gpointer user_data)
{
  Fixture *f = user_data;
  if (f->flow != NULL)
    sipd_flow_receive_datagram (f->flow, data, length);
}

/* Helpers */

static gboolean
iterate_until (gboolean (*done) (Fixture *), Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + REAL_TIMEOUT_MS * 1000;

  while (!done (f)) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  return TRUE;
}

static gboolean
flow_is_active (Fixture *f)
{
  return sipd_flow_get_state (f->flow) == SIPD_FLOW_STATE_ACTIVE;
}

static gboolean
flow_has_failed (Fixture *f)
{
  return sipd_flow_get_state (f->flow) == SIPD_FLOW_STATE_FAILED;
}

static gboolean
got_a_message (Fixture *f)
{
  return f->messages->len > 0;
}

static gboolean
got_an_answer (Fixture *f)
{
  return f->answers > 0;
}

/* Lets the main loop run a little, for checks that something did not happen. */
static void
settle (void)
{
  for (guint i = 0; i < 50; i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

/* Advances the fake clock a millisecond at a time until the socket has bytes to read. */
static void
advance_until_readable (Fixture *f, GSocket *socket, gint64 limit_ms)
{
  for (gint64 waited = 0; !g_socket_condition_check (socket, G_IO_IN); waited++) {
    g_assert_cmpint (waited, <, limit_ms);
    kl_clock_advance (f->clock, 1);
  }
}

static GInetSocketAddress *
local_address_of (GSocket *socket)
{
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (socket, NULL));
}

static GSocket *
loopback_socket (GSocketType type, GSocketProtocol protocol)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 5);
  return socket;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->clock = kl_clock_new_fake (42);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->listener = loopback_socket (G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
  g_socket_listen (f->listener, &error);
  g_assert_no_error (error);
  f->udp_server = loopback_socket (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
  f->udp = sipd_udp_socket_new (G_SOCKET_FAMILY_IPV4, 0, on_udp_datagram, f, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->flow, sipd_flow_unref);
  g_clear_pointer (&f->udp, sipd_udp_socket_free);
  g_clear_object (&f->peer);
  g_clear_object (&f->listener);
  g_clear_object (&f->udp_server);
  g_ptr_array_unref (f->messages);
  kl_clock_unref (f->clock);
}

/* Starts a TCP flow to the listener and accepts it. */
static void
connect_tcp (Fixture *f)
{
  g_autoptr (GInetSocketAddress) remote = local_address_of (f->listener);
  g_autoptr (GError) error = NULL;
  SipdFlowParams params = { .transport = KL_TRANSPORT_TCP, .remote = remote, .server_name = "127.0.0.1" };

  f->flow = sipd_flow_new (f->clock, &params, &callbacks, f);
  sipd_flow_start (f->flow);
  g_assert_true (iterate_until (flow_is_active, f));
  f->peer = g_socket_accept (f->listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (f->peer, 5);
}

static void
start_udp (Fixture *f)
{
  g_autoptr (GInetSocketAddress) remote = local_address_of (f->udp_server);
  SipdFlowParams params = { .transport = KL_TRANSPORT_UDP, .remote = remote, .udp = f->udp };

  f->flow = sipd_flow_new (f->clock, &params, &callbacks, f);
  sipd_flow_start (f->flow);
  g_assert_true (flow_is_active (f));
}

static void
peer_send (Fixture *f, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_socket_send (f->peer, text, strlen (text), NULL, &error);
  g_assert_no_error (error);
}

static char *
peer_receive (Fixture *f)
{
  char buffer[4096];
  g_autoptr (GError) error = NULL;
  gssize got;

  /* let the flow's write source run first */
  for (guint i = 0; i < 50; i++) {
    g_main_context_iteration (NULL, FALSE);
    if (g_socket_condition_check (f->peer, G_IO_IN))
      break;
    g_usleep (1000);
  }
  got = g_socket_receive (f->peer, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[got] = '\0';
  return g_strdup (buffer);
}

/* Drops the retransmissions an earlier advance of the clock queued. */
static void
udp_server_drain (Fixture *f)
{
  char buffer[512];

  while (g_socket_condition_check (f->udp_server, G_IO_IN))
    g_socket_receive (f->udp_server, buffer, sizeof buffer, NULL, NULL);
}

/* Receives a STUN request on the UDP server; returns its sender and id. */
static GInetSocketAddress *
udp_server_receive_stun (Fixture *f, SipdStunTransactionId *ret_id)
{
  guint8 buffer[512];
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) from = NULL;
  gssize got;

  for (guint i = 0; i < 50 && !g_socket_condition_check (f->udp_server, G_IO_IN); i++)
    g_usleep (1000);
  got = g_socket_receive_from (f->udp_server, &from, (char *) buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sipd_stun_parse_binding_request (buffer, (gsize) got, ret_id));
  return G_INET_SOCKET_ADDRESS (g_steal_pointer (&from));
}

static void
udp_server_answer (Fixture *f, GInetSocketAddress *to, const SipdStunTransactionId *id, const char *mapped_ip,
                   guint16 mapped_port)
{
  g_autoptr (GInetSocketAddress) mapped = G_INET_SOCKET_ADDRESS (
    g_inet_socket_address_new_from_string (mapped_ip, mapped_port));
  g_autoptr (GBytes) response = sipd_stun_binding_response (id, mapped);
  g_autoptr (GError) error = NULL;

  g_socket_send_to (f->udp_server, G_SOCKET_ADDRESS (to), g_bytes_get_data (response, NULL),
                    g_bytes_get_size (response), NULL, &error);
  g_assert_no_error (error);
}

/* TCP */

static const char notify[] =
  "NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\n"
  "Content-Length: 4\r\n"
  "\r\n"
  "abcd";

static void
test_tcp_frames_a_message_split_across_writes (Fixture *f, gconstpointer data)
{
  connect_tcp (f);
  peer_send (f, "NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\nContent-Len");
  peer_send (f, "gth: 4\r\n\r\nab");
  settle ();
  g_assert_cmpuint (f->messages->len, ==, 0);
  peer_send (f, "cd");
  g_assert_true (iterate_until (got_a_message, f));
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (f->messages, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (f->messages, 0)), notify, strlen (notify));
}

static void
test_tcp_frames_a_message_longer_than_one_read (Fixture *f, gconstpointer data)
{
  g_autofree char *body = g_strnfill (20000, 'x');
  g_autofree char *message =
    g_strdup_printf ("NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\nContent-Length: 20000\r\n\r\n%s", body);

  connect_tcp (f);
  peer_send (f, message);
  g_assert_true (iterate_until (got_a_message, f));
  settle ();
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (f->messages, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (f->messages, 0)), message, strlen (message));
}

static void
test_tcp_sends_what_was_queued_while_connecting (Fixture *f, gconstpointer data)
{
  g_autoptr (GInetSocketAddress) remote = local_address_of (f->listener);
  g_autoptr (GBytes) bytes = g_bytes_new_static (notify, strlen (notify));
  g_autoptr (GError) error = NULL;
  g_autofree char *received = NULL;
  SipdFlowParams params = { .transport = KL_TRANSPORT_TCP, .remote = remote, .server_name = "127.0.0.1" };

  f->flow = sipd_flow_new (f->clock, &params, &callbacks, f);
  sipd_flow_start (f->flow);
  g_assert_true (sipd_flow_send (f->flow, bytes));
  g_assert_true (iterate_until (flow_is_active, f));
  f->peer = g_socket_accept (f->listener, NULL, &error);
  g_assert_no_error (error);
  received = peer_receive (f);
  g_assert_cmpstr (received, ==, notify);
}

static void
test_tcp_ping_answered_by_crlf_is_rescheduled_within_80_to_100_percent (Fixture *f, gconstpointer data)
{
  g_autofree char *ping = NULL;
  gint64 start;

  connect_tcp (f);
  sipd_flow_start_keepalive (f->flow, 30, 0, 0);
  start = kl_clock_now_ms (f->clock);
  kl_clock_advance (f->clock, 23999);
  g_assert_false (g_socket_condition_check (f->peer, G_IO_IN));
  advance_until_readable (f, f->peer, 6002); /* not past the ping: a late answer makes the flow suspect */
  ping = peer_receive (f);
  g_assert_cmpstr (ping, ==, "\r\n\r\n");

  kl_clock_advance (f->clock, 35);
  peer_send (f, "\r\n");
  g_assert_true (iterate_until (got_an_answer, f));
  g_assert_cmpint (sipd_flow_get_rtt_ms (f->flow), >=, 35);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);

  /* the next ping is due 24-30 s after the pong */
  start = kl_clock_now_ms (f->clock);
  kl_clock_advance (f->clock, 23999);
  g_assert_false (g_socket_condition_check (f->peer, G_IO_IN));
  advance_until_readable (f, f->peer, 6002);
  g_free (ping);
  ping = peer_receive (f);
  g_assert_cmpstr (ping, ==, "\r\n\r\n");
  g_assert_cmpint (kl_clock_now_ms (f->clock) - start, <=, 30000);
}

static void
test_tcp_no_pong_within_10_s_fails_the_flow (Fixture *f, gconstpointer data)
{
  g_autofree char *ping = NULL;

  connect_tcp (f);
  sipd_flow_start_keepalive (f->flow, 0, 10, 0);
  advance_until_readable (f, f->peer, 10001);
  ping = peer_receive (f);
  g_assert_cmpstr (ping, ==, "\r\n\r\n");
  kl_clock_advance (f->clock, 9999);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_FAILED);
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "no keep-alive pong within 10 s");
}

static void
test_tcp_server_closing_fails_the_flow_as_closed (Fixture *f, gconstpointer data)
{
  connect_tcp (f);
  g_socket_close (f->peer, NULL);
  g_assert_true (iterate_until (flow_has_failed, f));
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "connection closed by the server");
  g_assert_cmpuint (f->state_changes, ==, 2); /* active, failed */
}

static void
test_tcp_server_resetting_fails_the_flow_as_reset (Fixture *f, gconstpointer data)
{
  struct linger linger = { 1, 0 }; /* close with RST */

  connect_tcp (f);
  g_assert_cmpint (setsockopt (g_socket_get_fd (f->peer), SOL_SOCKET, SO_LINGER, &linger, sizeof linger), ==, 0);
  g_socket_close (f->peer, NULL);
  g_assert_true (iterate_until (flow_has_failed, f));
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "connection reset by the server");
}

static void
test_tcp_refused_connect_fails_with_a_reason (Fixture *f, gconstpointer data)
{
  g_autoptr (GInetSocketAddress) remote = local_address_of (f->listener);
  SipdFlowParams params = { .transport = KL_TRANSPORT_TCP, .remote = remote, .server_name = "127.0.0.1" };

  g_clear_object (&f->listener); /* nothing listens on the port now */
  f->flow = sipd_flow_new (f->clock, &params, &callbacks, f);
  sipd_flow_start (f->flow);
  g_assert_true (iterate_until (flow_has_failed, f));
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "connection refused");
}

static void
test_tcp_ping_from_the_server_gets_a_pong (Fixture *f, gconstpointer data)
{
  g_autofree char *pong = NULL;

  connect_tcp (f);
  peer_send (f, "\r\n\r\n");
  pong = peer_receive (f);
  g_assert_cmpstr (pong, ==, "\r\n");
}

/* UDP */

static void
test_udp_stun_answer_keeps_the_flow_and_its_mapped_address (Fixture *f, gconstpointer data)
{
  SipdStunTransactionId id;
  g_autoptr (GInetSocketAddress) client = NULL;
  g_autoptr (GInetSocketAddress) again = NULL;

  start_udp (f);
  sipd_flow_start_keepalive (f->flow, 25, 0, 0);
  kl_clock_advance (f->clock, 25000);
  client = udp_server_receive_stun (f, &id);
  udp_server_answer (f, client, &id, "192.0.2.7", 40000);
  g_assert_true (iterate_until (got_an_answer, f));

  f->answers = 0;
  udp_server_drain (f);
  kl_clock_advance (f->clock, 25000);
  again = udp_server_receive_stun (f, &id);
  udp_server_answer (f, again, &id, "192.0.2.7", 40000);
  g_assert_true (iterate_until (got_an_answer, f));
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);
}

/* The first STUN transaction ID of a UDP flow on a fake clock seeded 42 */
static void
first_stun_id (Fixture *f, SipdStunTransactionId *ret_id)
{
  g_autoptr (GInetSocketAddress) client = NULL;

  start_udp (f);
  sipd_flow_start_keepalive (f->flow, 25, 0, 0);
  kl_clock_advance (f->clock, 25000);
  client = udp_server_receive_stun (f, ret_id);
}

/* RFC 5389 §6: a transaction ID a stranger must not guess, so from the
 * kernel (kl-random.h): two runs on clocks of the same seed, whose jitter
 * repeats, still draw different IDs. */
static void
test_udp_stun_ids_do_not_follow_the_clock_s_seed (Fixture *f, gconstpointer data)
{
  SipdStunTransactionId first;
  SipdStunTransactionId again;

  first_stun_id (f, &first);
  fixture_teardown (f, data);
  fixture_setup (f, data);
  first_stun_id (f, &again);
  g_assert_true (memcmp (first.id, again.id, sizeof first.id) != 0);
}

static void
test_udp_new_mapped_address_fails_the_flow (Fixture *f, gconstpointer data)
{
  SipdStunTransactionId id;
  g_autoptr (GInetSocketAddress) client = NULL;
  g_autoptr (GInetSocketAddress) again = NULL;

  start_udp (f);
  sipd_flow_start_keepalive (f->flow, 25, 0, 0);
  kl_clock_advance (f->clock, 25000);
  client = udp_server_receive_stun (f, &id);
  udp_server_answer (f, client, &id, "192.0.2.7", 40000);
  g_assert_true (iterate_until (got_an_answer, f));

  udp_server_drain (f);
  kl_clock_advance (f->clock, 25000);
  again = udp_server_receive_stun (f, &id);
  udp_server_answer (f, again, &id, "192.0.2.7", 40001);
  g_assert_true (iterate_until (flow_has_failed, f));
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==,
                   "the server sees a new address: 192.0.2.7:40001, was 192.0.2.7:40000");
}

static void
test_udp_unanswered_stun_is_retransmitted_then_fails_after_10_s (Fixture *f, gconstpointer data)
{
  SipdStunTransactionId first, id;
  g_autoptr (GInetSocketAddress) from = NULL;
  static const gint64 retransmit_after[] = { 500, 1000, 2000, 4000 };

  start_udp (f);
  sipd_flow_start_keepalive (f->flow, 0, 20, 0);
  advance_until_readable (f, f->udp_server, 20001);
  from = udp_server_receive_stun (f, &first);
  for (guint i = 0; i < G_N_ELEMENTS (retransmit_after); i++) {
    g_autoptr (GInetSocketAddress) again = NULL;
    kl_clock_advance (f->clock, retransmit_after[i]);
    again = udp_server_receive_stun (f, &id);
    g_assert_cmpmem (id.id, sizeof id.id, first.id, sizeof first.id);
  }
  kl_clock_advance (f->clock, 10000 - 7500 - 1);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_FAILED);
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "no STUN keep-alive answer within 10 s");
}

static void
test_udp_datagram_is_one_message (Fixture *f, gconstpointer data)
{
  start_udp (f);
  sipd_flow_receive_datagram (f->flow, (const guint8 *) notify, strlen (notify));
  sipd_flow_receive_datagram (f->flow, (const guint8 *) "\r\n\r\n", 4);
  g_assert_cmpuint (f->messages->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/sipd/flow/tcp/frames-a-message-split-across-writes", test_tcp_frames_a_message_split_across_writes);
  ADD ("/sipd/flow/tcp/frames-a-message-longer-than-one-read", test_tcp_frames_a_message_longer_than_one_read);
  ADD ("/sipd/flow/tcp/sends-what-was-queued-while-connecting", test_tcp_sends_what_was_queued_while_connecting);
  ADD ("/sipd/flow/tcp/ping-answered-by-crlf-is-rescheduled-within-80-to-100-percent",
       test_tcp_ping_answered_by_crlf_is_rescheduled_within_80_to_100_percent);
  ADD ("/sipd/flow/tcp/no-pong-within-10-s-fails-the-flow", test_tcp_no_pong_within_10_s_fails_the_flow);
  ADD ("/sipd/flow/tcp/server-closing-fails-the-flow-as-closed",
       test_tcp_server_closing_fails_the_flow_as_closed);
  ADD ("/sipd/flow/tcp/server-resetting-fails-the-flow-as-reset",
       test_tcp_server_resetting_fails_the_flow_as_reset);
  ADD ("/sipd/flow/tcp/refused-connect-fails-with-a-reason", test_tcp_refused_connect_fails_with_a_reason);
  ADD ("/sipd/flow/tcp/ping-from-the-server-gets-a-pong", test_tcp_ping_from_the_server_gets_a_pong);
  ADD ("/sipd/flow/udp/stun-answer-keeps-the-flow-and-its-mapped-address",
       test_udp_stun_answer_keeps_the_flow_and_its_mapped_address);
  ADD ("/sipd/flow/udp/stun-ids-do-not-follow-the-clock-s-seed", test_udp_stun_ids_do_not_follow_the_clock_s_seed);
  ADD ("/sipd/flow/udp/new-mapped-address-fails-the-flow", test_udp_new_mapped_address_fails_the_flow);
  ADD ("/sipd/flow/udp/unanswered-stun-is-retransmitted-then-fails-after-10-s",
       test_udp_unanswered_stun_is_retransmitted_then_fails_after_10_s);
  ADD ("/sipd/flow/udp/datagram-is-one-message", test_udp_datagram_is_one_message);
#undef ADD
  return g_test_run ();
}
