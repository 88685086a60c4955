/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RFC 3261 transactions against a UDP peer on 127.0.0.1, on a fake clock:
 * INVITE retransmitted by Timer A until a provisional, ended by Timer B; the
 * ACK of a non-2xx built by the transaction and sent again for a
 * retransmitted answer; every 2xx reported; Timer F ends a request but not its
 * flow, while a silent REGISTER fails the flow; and on the server side a
 * non-2xx final to an INVITE retransmitted by Timer G until its ACK. */
#include <string.h>

#include "sipd-stack.h"

typedef struct {
  KlClock *clock;
  SipdStack *stack;
  GSocket *peer;
  SipdFlow *flow;
  GPtrArray *responses; /* what the owner was told: status, or 0 for a failure */
  char *failure;
  SipdMessage *request; /* the last request the core got */
  SipdFlow *request_flow;
} Fixture;

static void
on_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  Fixture *f = user_data;

  g_clear_pointer (&f->request, sipd_message_unref);
  f->request = sipd_message_ref (request);
  f->request_flow = flow;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  f->clock = kl_clock_new_fake (9);
  f->stack = sipd_stack_new (f->clock, &params, &error);
  g_assert_no_error (error);
  sipd_stack_set_request_handler (f->stack, on_request, f);
  f->peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (f->peer, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (f->peer, &error);
  f->flow = sipd_flow_ref (sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (bound),
                                                "peer.keepline.test"));
  f->responses = g_ptr_array_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->request, sipd_message_unref);
  sipd_flow_unref (f->flow);
  sipd_stack_free (f->stack);
  g_object_unref (f->peer);
  kl_clock_unref (f->clock);
  g_ptr_array_unref (f->responses);
  g_free (f->failure);
}

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->responses, GUINT_TO_POINTER (response ? sipd_message_get_status (response) : 0));
  if (failure != NULL) {
    g_free (f->failure);
    f->failure = g_strdup (failure);
  }
}

static GBytes *
build_request (Fixture *f, const char *method, const char *branch)
{
  g_autofree char *via = sipd_stack_via (f->stack, f->flow, branch);
  SipdBuilder *builder = sipd_builder_new_request (method, "sip:callee@peer.keepline.test");

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "<sip:1001@keepline.test>;tag=caller");
  sipd_builder_add (builder, "To", "<sip:callee@peer.keepline.test>");
  sipd_builder_add (builder, "Call-ID", "tx-%s", branch);
  sipd_builder_add (builder, "CSeq", "1 %s", method);
  sipd_builder_add (builder, "Route", "<sip:proxy.keepline.test;lr>");
  return sipd_builder_finish (builder, NULL, NULL);
}

static guint
send (Fixture *f, const char *method, const char *branch)
{
  g_autoptr (GBytes) request = build_request (f, method, branch);

  return sipd_stack_send_request (f->stack, f->flow, method, branch, request, on_response, f);
}

/* Everything the peer got, one message each, without waiting. */
static GPtrArray *
peer_drain (Fixture *f)
{
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  char buffer[4096];

  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  while (g_socket_condition_check (f->peer, G_IO_IN)) {
    gssize n = g_socket_receive (f->peer, buffer, sizeof buffer - 1, NULL, NULL);
    g_assert_cmpint (n, >, 0);
    buffer[n] = '\0';
    g_ptr_array_add (got, g_strdup (buffer));
  }
  return got;
}

static void
peer_answer (Fixture *f, const char *request_text, guint status, const char *reason, const char *to_tag)
{
  g_autoptr (SipdMessage) request = sipd_message_parse ((const guint8 *) request_text, strlen (request_text), NULL);
  SipdBuilder *builder = sipd_builder_new_response (request, status, reason, to_tag);
  g_autoptr (GBytes) response = sipd_builder_finish (builder, NULL, NULL);
  GSocketAddress *to = G_SOCKET_ADDRESS (sipd_stack_get_udp_address (f->stack));
  g_autoptr (GSocketAddress) loopback_to = g_inet_socket_address_new_from_string (
    "127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (to)));

  g_socket_send_to (f->peer, loopback_to, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL,
                    NULL);
  for (guint i = 0; i < 200 && !g_main_context_iteration (NULL, FALSE); i++)
    g_usleep (1000);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_invite_retransmitted_until_provisional (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) later = NULL;
  g_autoptr (GPtrArray) quiet = NULL;

  send (f, "INVITE", "z9hG4bKinv1");
  first = peer_drain (f);
  g_assert_cmpuint (first->len, ==, 1);
  /* Timer A: 500, 1000, 2000 ms after each other, not capped by T2 */
  kl_clock_advance (f->clock, 500 + 1000 + 2000);
  later = peer_drain (f);
  g_assert_cmpuint (later->len, ==, 3);
  peer_answer (f, g_ptr_array_index (first, 0), 100, "Trying", NULL);
  g_assert_cmpuint (f->responses->len, ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (f->responses, 0)), ==, 100);
  /* proceeding: no more retransmissions, and no Timer B */
  kl_clock_advance (f->clock, 60000);
  quiet = peer_drain (f);
  g_assert_cmpuint (quiet->len, ==, 0);
  g_assert_cmpuint (f->responses->len, ==, 1);
}

static void
test_invite_without_answer_ends_by_timer_b (Fixture *f, gconstpointer data)
{
  send (f, "INVITE", "z9hG4bKinv2");
  kl_clock_advance (f->clock, 31999);
  g_assert_cmpuint (f->responses->len, ==, 0);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpuint (f->responses->len, ==, 1);
  g_assert_cmpstr (f->failure, ==, "timeout: no answer to INVITE within 32000 ms");
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);
}

static void
test_non_2xx_is_acknowledged_by_the_transaction (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) invite = NULL;
  g_autoptr (GPtrArray) ack = NULL;
  g_autoptr (GPtrArray) ack_again = NULL;

  send (f, "INVITE", "z9hG4bKinv3");
  invite = peer_drain (f);
  peer_answer (f, g_ptr_array_index (invite, 0), 486, "Busy Here", "callee");
  g_assert_cmpuint (f->responses->len, ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (f->responses, 0)), ==, 486);
  ack = peer_drain (f);
  g_assert_cmpuint (ack->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (ack, 0), "ACK sip:callee@peer.keepline.test SIP/2.0\r\n"));
  g_assert_nonnull (strstr (g_ptr_array_index (ack, 0), "branch=z9hG4bKinv3"));
  g_assert_nonnull (strstr (g_ptr_array_index (ack, 0), ";tag=callee"));
  g_assert_nonnull (strstr (g_ptr_array_index (ack, 0), "CSeq: 1 ACK"));
  g_assert_nonnull (strstr (g_ptr_array_index (ack, 0), "Route: <sip:proxy.keepline.test;lr>"));

  /* the 486 again: the ACK again, and the owner hears nothing new */
  peer_answer (f, g_ptr_array_index (invite, 0), 486, "Busy Here", "callee");
  ack_again = peer_drain (f);
  g_assert_cmpuint (ack_again->len, ==, 1);
  g_assert_cmpuint (f->responses->len, ==, 1);
}

static void
test_every_2xx_goes_to_the_core (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) invite = NULL;
  g_autoptr (GPtrArray) nothing = NULL;

  send (f, "INVITE", "z9hG4bKinv4");
  invite = peer_drain (f);
  peer_answer (f, g_ptr_array_index (invite, 0), 200, "OK", "fork1");
  peer_answer (f, g_ptr_array_index (invite, 0), 200, "OK", "fork2");
  peer_answer (f, g_ptr_array_index (invite, 0), 200, "OK", "fork1");
  g_assert_cmpuint (f->responses->len, ==, 3);
  nothing = peer_drain (f);
  g_assert_cmpuint (nothing->len, ==, 0); /* the core sends the ACK of a 2xx */
  /* after Timer M a 2xx is a stray */
  kl_clock_advance (f->clock, 32000);
  peer_answer (f, g_ptr_array_index (invite, 0), 200, "OK", "fork3");
  g_assert_cmpuint (f->responses->len, ==, 3);
}

static void
test_timer_f_ends_the_request_not_the_flow (Fixture *f, gconstpointer data)
{
  send (f, "MESSAGE", "z9hG4bKmsg");
  kl_clock_advance (f->clock, 4000);
  g_assert_cmpuint (f->responses->len, ==, 0);
  kl_clock_advance (f->clock, 28000);
  g_assert_cmpuint (f->responses->len, ==, 1);
  g_assert_cmpstr (f->failure, ==, "timeout: no answer to MESSAGE within 32000 ms");
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_ACTIVE);
}

static void
test_silent_register_fails_the_flow (Fixture *f, gconstpointer data)
{
  send (f, "REGISTER", "z9hG4bKreg");
  send (f, "MESSAGE", "z9hG4bKmsg2");
  kl_clock_advance (f->clock, 4000);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_FAILED);
  /* every transaction on the flow failed with it */
  g_assert_cmpuint (f->responses->len, ==, 2);
  g_assert_cmpstr (f->failure, ==, "flow failed: no answer to REGISTER within 4000 ms");
}

static void
peer_send_invite (Fixture *f, const char *branch)
{
  g_autofree char *text = g_strdup_printf ("INVITE sip:1001@127.0.0.1 SIP/2.0\r\n"
                                           "Via: SIP/2.0/UDP 127.0.0.1;branch=%s\r\n"
                                           "From: <sip:caller@peer.keepline.test>;tag=c\r\n"
                                           "To: <sip:1001@127.0.0.1>\r\n"
                                           "Call-ID: server-%s\r\n"
                                           "CSeq: 7 INVITE\r\n"
                                           "Content-Length: 0\r\n\r\n",
                                           branch, branch);
  GSocketAddress *to = G_SOCKET_ADDRESS (sipd_stack_get_udp_address (f->stack));
  g_autoptr (GSocketAddress) loopback_to = g_inet_socket_address_new_from_string (
    "127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (to)));

  g_socket_send_to (f->peer, loopback_to, text, strlen (text), NULL, NULL);
  for (guint i = 0; i < 200 && !g_main_context_iteration (NULL, FALSE); i++)
    g_usleep (1000);
}

static void
test_server_retransmits_non_2xx_until_ack (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) answer = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GPtrArray) after_ack = NULL;
  SipdBuilder *builder;
  g_autoptr (GBytes) busy = NULL;
  static const char ack[] = "ACK sip:1001@127.0.0.1 SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKsrv\r\n"
                            "From: <sip:caller@peer.keepline.test>;tag=c\r\n"
                            "To: <sip:1001@127.0.0.1>;tag=me\r\n"
                            "Call-ID: server-z9hG4bKsrv\r\n"
                            "CSeq: 7 ACK\r\n"
                            "Content-Length: 0\r\n\r\n";

  peer_send_invite (f, "z9hG4bKsrv");
  g_assert_nonnull (f->request);
  builder = sipd_builder_new_response (f->request, 486, "Busy Here", "me");
  busy = sipd_builder_finish (builder, NULL, NULL);
  sipd_stack_respond (f->stack, f->request_flow, f->request, busy);
  answer = peer_drain (f);
  g_assert_cmpuint (answer->len, ==, 1);
  /* Timer G: T1, 2·T1, 4·T1 */
  kl_clock_advance (f->clock, 500 + 1000 + 2000);
  again = peer_drain (f);
  g_assert_cmpuint (again->len, ==, 3);
  {
    GSocketAddress *to = G_SOCKET_ADDRESS (sipd_stack_get_udp_address (f->stack));
    g_autoptr (GSocketAddress) loopback_to = g_inet_socket_address_new_from_string (
      "127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (to)));
    g_socket_send_to (f->peer, loopback_to, ack, sizeof ack - 1, NULL, NULL);
  }
  for (guint i = 0; i < 200 && !g_main_context_iteration (NULL, FALSE); i++)
    g_usleep (1000);
  kl_clock_advance (f->clock, 10000);
  after_ack = peer_drain (f);
  g_assert_cmpuint (after_ack->len, ==, 0);
  /* the ACK was absorbed: the core got only the INVITE */
  g_assert_cmpstr (sipd_message_get_method (f->request), ==, "INVITE");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/sipd/transactions/invite-retransmitted-until-provisional", test_invite_retransmitted_until_provisional);
  ADD ("/sipd/transactions/invite-without-answer-ends-by-timer-b", test_invite_without_answer_ends_by_timer_b);
  ADD ("/sipd/transactions/non-2xx-is-acknowledged-by-the-transaction",
       test_non_2xx_is_acknowledged_by_the_transaction);
  ADD ("/sipd/transactions/every-2xx-goes-to-the-core", test_every_2xx_goes_to_the_core);
  ADD ("/sipd/transactions/timer-f-ends-the-request-not-the-flow", test_timer_f_ends_the_request_not_the_flow);
  ADD ("/sipd/transactions/silent-register-fails-the-flow", test_silent_register_fails_the_flow);
  ADD ("/sipd/transactions/server-retransmits-non-2xx-until-ack", test_server_retransmits_non_2xx_until_ack);
#undef ADD
  return g_test_run ();
}
