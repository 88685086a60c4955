/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A registration against a registrar scripted step by step over loopback UDP,
 * with every timer on a fake clock: the outbound Contact, digest with the
 * strongest algorithm and a growing nonce count, 423, rejections, Retry-After,
 * refresh 15 s before expiry, and a timeout failing the flow. */
#include <string.h>

#include "sipd-registration.h"
#include "sipd-stack.h"

#define INSTANCE "urn:uuid:3c1e5b7a-942d-4f61-8a0c-6e52d719b344"

typedef struct {
  KlClock *clock;
  SipdStack *stack;
  GSocket *registrar; /* the scripted peer */
  SipdFlow *flow;
  SipdRegistration *registration;
  guint changes;
} Fixture;

static void
on_changed (SipdRegistration *registration, gpointer user_data)
{
  ((Fixture *) user_data)->changes++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;
  const SipdRegistrationConfig config = {
    .aor = "sip:1001@keepline.test",
    .registrar_uri = "sip:keepline.test",
    .user = "1001",
    .display_name = "Desk",
    .auth_user = "1001",
    .password = "secret",
    .instance_id = INSTANCE,
    .reg_id = 1,
    .outbound = TRUE,
    .expires_s = 3600,
    .renewal_s = 15,
  };

  f->clock = kl_clock_new_fake (5);
  f->stack = sipd_stack_new (f->clock, &params, &error);
  g_assert_no_error (error);
  f->registrar = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (f->registrar, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (f->registrar, 5);
  address = g_socket_get_local_address (f->registrar, &error);
  f->flow = sipd_flow_ref (sipd_stack_get_flow (f->stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (address),
                                                "keepline.test"));
  f->registration = sipd_registration_new (f->stack, &config, on_changed, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sipd_registration_free (f->registration);
  sipd_flow_unref (f->flow);
  sipd_stack_free (f->stack);
  g_object_unref (f->registrar);
  kl_clock_unref (f->clock);
}

/* The registrar's side */

static gboolean
registrar_has_request (Fixture *f)
{
  for (guint i = 0; i < 50; i++) {
    if (g_socket_condition_check (f->registrar, G_IO_IN))
      return TRUE;
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  return FALSE;
}

static SipdMessage *
registrar_receive (Fixture *f, GSocketAddress **ret_from)
{
  char buffer[4096];
  g_autoptr (GError) error = NULL;
  gssize got;
  SipdMessage *request;

  g_assert_true (registrar_has_request (f));
  g_clear_object (ret_from);
  got = g_socket_receive_from (f->registrar, ret_from, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  request = sipd_message_parse ((const guint8 *) buffer, (gsize) got, &error);
  g_assert_no_error (error);
  /* sofia-sip's printer drops the nc of an Authorization: keep the text as sent */
  g_object_set_data_full (G_OBJECT (f->registrar), "last", g_strndup (buffer, (gsize) got), g_free);
  g_assert_cmpstr (sipd_message_get_method (request), ==, "REGISTER");
  return request;
}

/* Answers with the given status and extra header lines ("Name: value\r\n"…). */
static void
registrar_answer (Fixture *f, GSocketAddress *to, SipdMessage *request, guint status, const char *reason,
                  const char *headers)
{
  SipdBuilder *builder = sipd_builder_new_response (request, status, reason, "registrar-tag");
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = g_strsplit (headers ? headers : "", "\r\n", -1);

  for (guint i = 0; lines[i]; i++) {
    char *colon = strchr (lines[i], ':');
    if (colon == NULL)
      continue;
    *colon = '\0';
    sipd_builder_add (builder, lines[i], "%s", g_strstrip (colon + 1));
  }
  response = sipd_builder_finish (builder, NULL, NULL);
  g_socket_send_to (f->registrar, to, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL, &error);
  g_assert_no_error (error);
  /* let the stack read it */
  for (guint i = 0; i < 20; i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

static const char *
header (SipdMessage *message, const char *name)
{
  sip_t *sip = sipd_message_get_sip (message);
  static char *printed;

  g_clear_pointer (&printed, g_free);
  if (g_str_equal (name, "Contact") && sip->sip_contact)
    printed = sipd_message_print_header (message, sip->sip_contact);
  else if (g_str_equal (name, "Supported") && sip->sip_supported)
    printed = sipd_message_print_header (message, sip->sip_supported);
  else if (g_str_equal (name, "Expires") && sip->sip_expires)
    printed = g_strdup_printf ("%lu", sip->sip_expires->ex_delta);
  return printed ? printed : "";
}

/* The NAME line of the last request the registrar received, as sent. */
static char *
sent_line (Fixture *f, const char *name)
{
  const char *text = g_object_get_data (G_OBJECT (f->registrar), "last");
  g_autofree char *prefix = g_strdup_printf ("\r\n%s: ", name);
  const char *start = strstr (text, prefix);

  if (start == NULL)
    return g_strdup ("");
  start += 2;
  return g_strndup (start, strstr (start, "\r\n") - start);
}

static char *
ok_headers (const char *extra)
{
  return g_strdup_printf ("Contact: <sip:1001@127.0.0.1:5060;ob>;expires=60;+sip.instance=\"<" INSTANCE ">\";reg-id=1\r\n"
                          "Require: outbound\r\n"
                          "Flow-Timer: 25\r\n"
                          "%s",
                          extra ? extra : "");
}

/* Tests */

static void
test_register_carries_the_outbound_contact (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) request = NULL;

  sipd_registration_register (f->registration, f->flow);
  request = registrar_receive (f, &from);
  g_assert_nonnull (strstr (header (request, "Contact"), ";ob>"));
  g_assert_nonnull (strstr (header (request, "Contact"), "+sip.instance=\"<" INSTANCE ">\""));
  g_assert_nonnull (strstr (header (request, "Contact"), "reg-id=1"));
  g_assert_cmpstr (header (request, "Supported"), ==, "outbound, path");
  g_assert_cmpstr (header (request, "Expires"), ==, "3600");
  {
    g_autofree char *authorization = sent_line (f, "Authorization");
    g_assert_cmpstr (authorization, ==, "");
  }
  g_assert_nonnull (sipd_message_get_sip (request)->sip_via->v_rport);
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_REGISTERING);
}

static void
test_challenge_is_answered_with_sha256_and_200_registers (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;
  g_autofree char *ok = ok_headers (NULL);
  g_autofree char *authorization = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 401, "Unauthorized",
                    "WWW-Authenticate: Digest realm=\"keepline.test\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"
                    "WWW-Authenticate: Digest realm=\"keepline.test\", nonce=\"n2\", algorithm=SHA-256, qop=\"auth\"\r\n");
  second = registrar_receive (f, &from);
  authorization = sent_line (f, "Authorization");
  g_assert_nonnull (strstr (authorization, "algorithm=SHA-256"));
  g_assert_nonnull (strstr (authorization, "nonce=\"n2\""));
  g_assert_nonnull (strstr (authorization, "nc=00000001"));
  g_assert_cmpuint (sipd_message_get_sip (second)->sip_cseq->cs_seq, ==,
                    sipd_message_get_sip (first)->sip_cseq->cs_seq + 1);
  g_assert_cmpstr (sipd_message_get_call_id (second), ==, sipd_message_get_call_id (first));

  registrar_answer (f, from, second, 200, "OK", ok);
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_REGISTERED);
  g_assert_true (sipd_registration_get_outbound (f->registration));
  g_assert_cmpuint (sipd_registration_get_flow_timer (f->registration), ==, 25);
  g_assert_cmpuint (sipd_registration_get_expires (f->registration), ==, 60);
}

static void
test_refresh_goes_15_s_before_expiry_with_the_cached_nonce (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;
  g_autoptr (SipdMessage) refresh = NULL;
  g_autofree char *ok = ok_headers (NULL);
  g_autofree char *authorization = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 401, "Unauthorized",
                    "WWW-Authenticate: Digest realm=\"keepline.test\", nonce=\"n1\", qop=\"auth\"\r\n");
  second = registrar_receive (f, &from);
  registrar_answer (f, from, second, 200, "OK", ok);

  kl_clock_advance (f->clock, 44999);
  g_assert_false (registrar_has_request (f));
  kl_clock_advance (f->clock, 1);
  refresh = registrar_receive (f, &from);
  authorization = sent_line (f, "Authorization");
  g_assert_nonnull (strstr (authorization, "nonce=\"n1\""));
  g_assert_nonnull (strstr (authorization, "nc=00000002"));
  g_assert_cmpstr (header (refresh, "Expires"), ==, "3600");
}

static void
test_423_asks_again_with_min_expires (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 423, "Interval Too Brief", "Min-Expires: 7200\r\n");
  second = registrar_receive (f, &from);
  g_assert_cmpstr (header (second, "Expires"), ==, "7200");
}

static void
test_rejection_fails_with_status_and_reason (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) request = NULL;

  sipd_registration_register (f->registration, f->flow);
  request = registrar_receive (f, &from);
  registrar_answer (f, from, request, 403, "Forbidden", NULL);
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_FAILED);
  g_assert_cmpuint (sipd_registration_get_failure_status (f->registration), ==, 403);
  g_assert_cmpstr (sipd_registration_get_failure (f->registration), ==, "403 Forbidden");
}

static void
test_503_reports_its_retry_after (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) request = NULL;

  sipd_registration_register (f->registration, f->flow);
  request = registrar_receive (f, &from);
  registrar_answer (f, from, request, 503, "Service Unavailable", "Retry-After: 90\r\n");
  g_assert_cmpuint (sipd_registration_get_failure_status (f->registration), ==, 503);
  g_assert_cmpuint (sipd_registration_get_retry_after (f->registration), ==, 90);
}

static void
test_refused_credentials_fail_instead_of_looping (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (GSocketAddress) from_again = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;
  static const char challenge[] = "WWW-Authenticate: Digest realm=\"keepline.test\", nonce=\"n\", qop=\"auth\"\r\n";

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 401, "Unauthorized", challenge);
  second = registrar_receive (f, &from_again);
  registrar_answer (f, from_again, second, 401, "Unauthorized", challenge);
  g_assert_false (registrar_has_request (f));
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_FAILED);
  g_assert_cmpstr (sipd_registration_get_failure (f->registration), ==,
                   "401 Unauthorized: authentication failed: realm \"keepline.test\" refused the credentials");
}

/* An outbound proxy that challenges (407) in front of a registrar that
 * challenges (401): both sets of credentials go in the third REGISTER. */
static void
test_a_proxy_and_a_registrar_challenging_in_turn_register (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;
  g_autoptr (SipdMessage) third = NULL;
  g_autofree char *proxy_line = NULL;
  g_autofree char *registrar_line = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 407, "Proxy Authentication Required",
                    "Proxy-Authenticate: Digest realm=\"proxy.test\", nonce=\"p\", qop=\"auth\"\r\n");
  second = registrar_receive (f, &from);
  proxy_line = sent_line (f, "Proxy-Authorization");
  g_assert_nonnull (strstr (proxy_line, "realm=\"proxy.test\""));
  registrar_answer (f, from, second, 401, "Unauthorized",
                    "WWW-Authenticate: Digest realm=\"keepline.test\", nonce=\"r\", qop=\"auth\"\r\n");
  third = registrar_receive (f, &from);
  g_free (proxy_line);
  proxy_line = sent_line (f, "Proxy-Authorization");
  registrar_line = sent_line (f, "Authorization");
  g_assert_nonnull (strstr (proxy_line, "realm=\"proxy.test\""));
  g_assert_nonnull (strstr (registrar_line, "realm=\"keepline.test\""));
  registrar_answer (f, from, third, 200, "OK",
                    "Contact: <sip:1001@127.0.0.1;ob>;expires=3600;+sip.instance=\"<" INSTANCE ">\";reg-id=1\r\n"
                    "Require: outbound\r\n");
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_REGISTERED);
}

/* RFC 5626 §4.2.1: a first hop without outbound answers 439; the phone
 * registers again without reg-id and ;ob, and the registration holds. */
static void
test_439_registers_again_without_outbound (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;
  g_autoptr (SipdMessage) second = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  g_assert_nonnull (strstr (header (first, "Contact"), "reg-id=1"));
  registrar_answer (f, from, first, 439, "First Hop Lacks Outbound Support", NULL);
  second = registrar_receive (f, &from);
  g_assert_null (strstr (header (second, "Contact"), "reg-id"));
  g_assert_null (strstr (header (second, "Contact"), ";ob"));
  g_assert_null (strstr (header (second, "Supported"), "outbound"));
  registrar_answer (f, from, second, 200, "OK", "Contact: <sip:1001@127.0.0.1>;expires=3600\r\n");
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_REGISTERED);
  g_assert_false (sipd_registration_get_outbound (f->registration));
}

/* 420 and 421 name the extension in the failure, as LastError shows it. */
static void
test_420_names_the_extension_the_server_lacks (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) first = NULL;

  sipd_registration_register (f->registration, f->flow);
  first = registrar_receive (f, &from);
  registrar_answer (f, from, first, 420, "Bad Extension", "Unsupported: outbound\r\n");
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_FAILED);
  g_assert_cmpstr (sipd_registration_get_failure (f->registration), ==,
                   "420 Bad Extension: the server does not support outbound");
}

static void
test_unanswered_register_fails_the_flow_after_the_transaction_timer (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (SipdMessage) request = NULL;

  sipd_registration_register (f->registration, f->flow);
  request = registrar_receive (f, &from);
  kl_clock_advance (f->clock, 3999);
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_REGISTERING);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpint (sipd_flow_get_state (f->flow), ==, SIPD_FLOW_STATE_FAILED);
  g_assert_cmpstr (sipd_flow_get_failure (f->flow), ==, "no answer to REGISTER within 4000 ms");
  g_assert_cmpint (sipd_registration_get_state (f->registration), ==, SIPD_REGISTRATION_STATE_FAILED);
  g_assert_cmpuint (sipd_registration_get_failure_status (f->registration), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/sipd/registration/register-carries-the-outbound-contact", test_register_carries_the_outbound_contact);
  ADD ("/sipd/registration/challenge-is-answered-with-sha256-and-200-registers",
       test_challenge_is_answered_with_sha256_and_200_registers);
  ADD ("/sipd/registration/refresh-goes-15-s-before-expiry-with-the-cached-nonce",
       test_refresh_goes_15_s_before_expiry_with_the_cached_nonce);
  ADD ("/sipd/registration/423-asks-again-with-min-expires", test_423_asks_again_with_min_expires);
  ADD ("/sipd/registration/rejection-fails-with-status-and-reason", test_rejection_fails_with_status_and_reason);
  ADD ("/sipd/registration/503-reports-its-retry-after", test_503_reports_its_retry_after);
  ADD ("/sipd/registration/a-proxy-and-a-registrar-challenging-in-turn-register",
       test_a_proxy_and_a_registrar_challenging_in_turn_register);
  ADD ("/sipd/registration/439-registers-again-without-outbound", test_439_registers_again_without_outbound);
  ADD ("/sipd/registration/420-names-the-extension-the-server-lacks",
       test_420_names_the_extension_the_server_lacks);
  ADD ("/sipd/registration/refused-credentials-fail-instead-of-looping",
       test_refused_credentials_fail_instead_of_looping);
  ADD ("/sipd/registration/unanswered-register-fails-the-flow-after-the-transaction-timer",
       test_unanswered_register_fails_the_flow_after_the_transaction_timer);
#undef ADD
  return g_test_run ();
}
