/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Digest across hops: the challenges of every realm on the way are kept and
 * answered together (a proxy's 407, then the registrar's 401; several in one
 * response), each with its server's strongest algorithm; a realm that
 * challenges the credentials it just asked for refused them, and only then
 * does the verdict say so; a stale nonce is believed a bounded number of
 * times; a nonce expired between requests gets one more try; nextnonce
 * replaces the nonce. */
#include <string.h>

#include "sipd-auth.h"

#define HOST "keepline.test"

static SipdMessage *
response (guint status, const char *challenges)
{
  g_autofree char *text = g_strdup_printf ("SIP/2.0 %u %s\r\n"
                                           "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKa\r\n"
                                           "From: <sip:1001@" HOST ">;tag=a\r\n"
                                           "To: <sip:1001@" HOST ">;tag=b\r\n"
                                           "Call-ID: c\r\n"
                                           "CSeq: 1 REGISTER\r\n"
                                           "%s"
                                           "Content-Length: 0\r\n\r\n",
                                           status, status == 407 ? "Proxy Authentication Required" : "Unauthorized",
                                           challenges);
  SipdMessage *message = sipd_message_parse ((const guint8 *) text, strlen (text), NULL);

  g_assert_nonnull (message);
  return message;
}

static SipdMessage *
challenge_of (guint status, const char *realm, const char *nonce, const char *extra)
{
  g_autofree char *header = g_strdup_printf ("%s: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\"%s\r\n",
                                             status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate", realm, nonce,
                                             extra);
  return response (status, header);
}

/* The credential headers a request built now would carry, "Name: value" each. */
static GStrv
credentials (SipdAuth *auth)
{
  SipdBuilder *builder = sipd_builder_new_request ("REGISTER", "sip:" HOST);
  g_autoptr (GBytes) request = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GStrvBuilder *found = g_strv_builder_new ();
  GStrv result;

  sipd_builder_add (builder, "Via", "SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKb");
  sipd_builder_add (builder, "From", "<sip:1001@" HOST ">;tag=a");
  sipd_builder_add (builder, "To", "<sip:1001@" HOST ">");
  sipd_builder_add (builder, "Call-ID", "c");
  sipd_builder_add (builder, "CSeq", "2 REGISTER");
  sipd_auth_add_credentials (auth, builder, "1001", "secret", "REGISTER", "sip:" HOST);
  request = sipd_builder_finish (builder, NULL, NULL);
  text = g_strndup (g_bytes_get_data (request, NULL), g_bytes_get_size (request));
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "Authorization:") || g_str_has_prefix (lines[i], "Proxy-Authorization:"))
      g_strv_builder_add (found, lines[i]);
  result = g_strv_builder_end (found);
  g_strv_builder_unref (found);
  return result;
}

static gboolean
has (GStrv lines, const char *prefix, const char *part)
{
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix) && strstr (lines[i], part) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_a_proxy_then_a_registrar_are_both_answered (void)
{
  g_autoptr (SipdMessage) from_proxy = challenge_of (407, "proxy.test", "p1", "");
  g_autoptr (SipdMessage) from_registrar = challenge_of (401, "registrar.test", "r1", "");
  SipdAuth auth = { 0 };
  g_auto (GStrv) first = NULL;
  g_auto (GStrv) second = NULL;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, from_proxy), ==, SIPD_AUTH_ANSWER);
  first = credentials (&auth);
  g_assert_cmpuint (g_strv_length (first), ==, 1);
  g_assert_true (has (first, "Proxy-Authorization:", "realm=\"proxy.test\""));

  /* the proxy let it through; the registrar asks for its own: not a failure */
  g_assert_cmpint (sipd_auth_take_challenge (&auth, from_registrar), ==, SIPD_AUTH_ANSWER);
  second = credentials (&auth);
  g_assert_cmpuint (g_strv_length (second), ==, 2);
  g_assert_true (has (second, "Proxy-Authorization:", "realm=\"proxy.test\""));
  g_assert_true (has (second, "Proxy-Authorization:", "nc=00000002"));
  g_assert_true (has (second, "Authorization:", "realm=\"registrar.test\""));
  sipd_auth_clear (&auth);
}

static void
test_challenges_in_one_response_are_answered_together_with_the_strongest_algorithm (void)
{
  g_autoptr (SipdMessage) both = response (
      401, "WWW-Authenticate: Digest realm=\"a.test\", nonce=\"a1\", algorithm=MD5, qop=\"auth\"\r\n"
           "WWW-Authenticate: Digest realm=\"a.test\", nonce=\"a2\", algorithm=SHA-512-256, qop=\"auth\"\r\n"
           "WWW-Authenticate: Digest realm=\"a.test\", nonce=\"a3\", algorithm=SHA-256, qop=\"auth\"\r\n"
           "WWW-Authenticate: Digest realm=\"b.test\", nonce=\"b1\", algorithm=MD5\r\n"
           "Proxy-Authenticate: Digest realm=\"c.test\", nonce=\"c1\", algorithm=SHA-256\r\n");
  SipdAuth auth = { 0 };
  g_auto (GStrv) lines = NULL;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, both), ==, SIPD_AUTH_ANSWER);
  lines = credentials (&auth);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (has (lines, "Authorization:", "nonce=\"a2\""));
  g_assert_true (has (lines, "Authorization:", "algorithm=SHA-512-256"));
  g_assert_true (has (lines, "Authorization:", "realm=\"b.test\""));
  g_assert_true (has (lines, "Proxy-Authorization:", "realm=\"c.test\""));
  sipd_auth_clear (&auth);
}

static void
test_a_realm_challenging_its_fresh_credentials_refused_them (void)
{
  g_autoptr (SipdMessage) first = challenge_of (401, "registrar.test", "r1", "");
  g_autoptr (SipdMessage) again = challenge_of (401, "registrar.test", "r2", "");
  SipdAuth auth = { 0 };
  g_auto (GStrv) lines = NULL;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, first), ==, SIPD_AUTH_ANSWER);
  lines = credentials (&auth);
  g_assert_cmpint (sipd_auth_take_challenge (&auth, again), ==, SIPD_AUTH_REJECTED);
  g_assert_cmpstr (sipd_auth_get_failure (&auth), ==,
                   "authentication failed: realm \"registrar.test\" refused the credentials");
  sipd_auth_clear (&auth);
}

static void
test_a_stale_nonce_is_believed_a_bounded_number_of_times (void)
{
  g_autoptr (SipdMessage) plain = challenge_of (401, HOST, "n0", "");
  g_autoptr (SipdMessage) stale = challenge_of (401, HOST, "n1", ", stale=true");
  SipdAuth auth = { 0 };
  guint answered = 0;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, plain), ==, SIPD_AUTH_ANSWER);
  for (;;) {
    g_strfreev (credentials (&auth)); /* the request goes with them */
    if (answered == 100 || sipd_auth_take_challenge (&auth, stale) != SIPD_AUTH_ANSWER)
      break;
    answered++;
  }
  g_assert_cmpuint (answered, ==, SIPD_AUTH_MAX_STALE_ROUNDS);
  sipd_auth_clear (&auth);
}

/* A refresh reuses the nonce; a server that let it expire without saying
 * "stale" gets one more try in that request, not two. */
static void
test_a_nonce_expired_between_requests_gets_one_more_try (void)
{
  g_autoptr (SipdMessage) first = challenge_of (401, HOST, "n1", "");
  g_autoptr (SipdMessage) later = challenge_of (401, HOST, "n2", "");
  g_autoptr (SipdMessage) again = challenge_of (401, HOST, "n3", "");
  SipdAuth auth = { 0 };
  g_auto (GStrv) a = NULL;
  g_auto (GStrv) b = NULL;
  g_auto (GStrv) c = NULL;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, first), ==, SIPD_AUTH_ANSWER);
  a = credentials (&auth);
  sipd_auth_new_request (&auth); /* 200, then a refresh */
  b = credentials (&auth);
  g_assert_true (has (b, "Authorization:", "nonce=\"n1\""));
  g_assert_true (has (b, "Authorization:", "nc=00000002"));
  g_assert_cmpint (sipd_auth_take_challenge (&auth, later), ==, SIPD_AUTH_ANSWER);
  c = credentials (&auth);
  g_assert_true (has (c, "Authorization:", "nonce=\"n2\""));
  g_assert_true (has (c, "Authorization:", "nc=00000001"));
  g_assert_cmpint (sipd_auth_take_challenge (&auth, again), ==, SIPD_AUTH_REJECTED);
  sipd_auth_clear (&auth);
}

static void
test_nextnonce_replaces_the_nonce (void)
{
  g_autoptr (SipdMessage) first = challenge_of (401, HOST, "n1", "");
  g_autoptr (SipdMessage) ok = response (200, "Authentication-Info: nextnonce=\"n9\", qop=auth\r\n");
  SipdAuth auth = { 0 };
  g_auto (GStrv) a = NULL;
  g_auto (GStrv) b = NULL;

  g_assert_cmpint (sipd_auth_take_challenge (&auth, first), ==, SIPD_AUTH_ANSWER);
  a = credentials (&auth);
  sipd_auth_take_info (&auth, ok);
  sipd_auth_new_request (&auth);
  b = credentials (&auth);
  g_assert_true (has (b, "Authorization:", "nonce=\"n9\""));
  g_assert_true (has (b, "Authorization:", "nc=00000001"));
  sipd_auth_clear (&auth);
}

static void
test_a_response_without_a_usable_challenge_says_so (void)
{
  g_autoptr (SipdMessage) basic = response (401, "WWW-Authenticate: Basic realm=\"x\"\r\n");
  SipdAuth auth = { 0 };

  g_assert_cmpint (sipd_auth_take_challenge (&auth, basic), ==, SIPD_AUTH_UNUSABLE);
  g_assert_cmpstr (sipd_auth_get_failure (&auth), ==, "authentication failed: no digest challenge the phone can answer");
  sipd_auth_clear (&auth);
}

static void
test_realms_past_the_cap_are_not_answered (void)
{
  GString *many = g_string_new (NULL);
  g_autoptr (SipdMessage) message = NULL;
  SipdAuth auth = { 0 };
  g_auto (GStrv) lines = NULL;

  for (guint i = 0; i < 2 * SIPD_AUTH_MAX_REALMS; i++)
    g_string_append_printf (many, "WWW-Authenticate: Digest realm=\"r%u.test\", nonce=\"n\"\r\n", i);
  message = response (401, many->str);
  g_string_free (many, TRUE);
  g_assert_cmpint (sipd_auth_take_challenge (&auth, message), ==, SIPD_AUTH_ANSWER);
  lines = credentials (&auth);
  g_assert_cmpuint (g_strv_length (lines), ==, SIPD_AUTH_MAX_REALMS);
  sipd_auth_clear (&auth);
}

/* FIPS 180-4's example, and RFC 7616's: SHA-512/256 is not SHA-512 cut short */
static void
test_sha512_256_is_the_fips_one (void)
{
  g_autofree char *abc = sipd_digest_hash_hex (SIPD_DIGEST_SHA512_256, "abc");

  g_assert_cmpstr (abc, ==, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/auth/a-proxy-then-a-registrar-are-both-answered",
                   test_a_proxy_then_a_registrar_are_both_answered);
  g_test_add_func ("/sipd/auth/challenges-in-one-response-are-answered-together-with-the-strongest-algorithm",
                   test_challenges_in_one_response_are_answered_together_with_the_strongest_algorithm);
  g_test_add_func ("/sipd/auth/a-realm-challenging-its-fresh-credentials-refused-them",
                   test_a_realm_challenging_its_fresh_credentials_refused_them);
  g_test_add_func ("/sipd/auth/a-stale-nonce-is-believed-a-bounded-number-of-times",
                   test_a_stale_nonce_is_believed_a_bounded_number_of_times);
  g_test_add_func ("/sipd/auth/a-nonce-expired-between-requests-gets-one-more-try",
                   test_a_nonce_expired_between_requests_gets_one_more_try);
  g_test_add_func ("/sipd/auth/nextnonce-replaces-the-nonce", test_nextnonce_replaces_the_nonce);
  g_test_add_func ("/sipd/auth/a-response-without-a-usable-challenge-says-so",
                   test_a_response_without_a_usable_challenge_says_so);
  g_test_add_func ("/sipd/auth/realms-past-the-cap-are-not-answered", test_realms_past_the_cap_are_not_answered);
  g_test_add_func ("/sipd/auth/sha512-256-is-the-fips-one", test_sha512_256_is_the_fips_one);
  return g_test_run ();
}
