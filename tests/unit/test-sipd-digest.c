/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Digest authentication against the examples of RFC 2617 and RFC 7616. */
#include <string.h>

#include "sipd-auth.h"
#include "sipd-digest.h"

static void
test_rfc2617_md5_qop_auth_example (void)
{
  g_autofree char *response = sipd_digest_response (
    SIPD_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", TRUE);

  g_assert_cmpstr (response, ==, "6629fae49393a05397450978507c4ef1");
}

static void
test_rfc7616_sha256_example (void)
{
  g_autofree char *response = sipd_digest_response (
    SIPD_DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
    "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", TRUE);

  g_assert_cmpstr (response, ==, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

static void
test_rfc7616_md5_example (void)
{
  g_autofree char *response = sipd_digest_response (
    SIPD_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
    "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", TRUE);

  g_assert_cmpstr (response, ==, "8ca523f5e9506fed4657c9700eebdbec");
}

static void
test_challenge_parses_quoted_and_token_values (void)
{
  g_auto (SipdDigestChallenge) challenge = { 0 };
  g_autofree char *reason = NULL;

  g_assert_true (sipd_digest_challenge_parse (
    "Digest realm=\"keepline.test\", nonce=\"a\\\"b\", qop=\"auth,auth-int\", "
    "algorithm=SHA-256, opaque=\"xyz\", stale=TRUE",
    &challenge, &reason));
  g_assert_cmpstr (challenge.realm, ==, "keepline.test");
  g_assert_cmpstr (challenge.nonce, ==, "a\"b");
  g_assert_cmpstr (challenge.opaque, ==, "xyz");
  g_assert_cmpint (challenge.algorithm, ==, SIPD_DIGEST_SHA256);
  g_assert_true (challenge.qop_auth);
  g_assert_true (challenge.stale);
}

static void
test_challenge_without_qop_or_algorithm_is_rfc2069_md5 (void)
{
  g_auto (SipdDigestChallenge) challenge = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *authorization = NULL;

  g_assert_true (sipd_digest_challenge_parse ("Digest realm=\"r\", nonce=\"n\"", &challenge, &reason));
  g_assert_cmpint (challenge.algorithm, ==, SIPD_DIGEST_MD5);
  g_assert_false (challenge.qop_auth);
  authorization = sipd_digest_authorization (&challenge, "1001", "pw", "REGISTER", "sip:r", "c", 1);
  g_assert_true (g_str_has_prefix (authorization, "Digest username=\"1001\", realm=\"r\", nonce=\"n\", "
                                                  "uri=\"sip:r\", response=\""));
  g_assert_null (strstr (authorization, "qop"));
  g_assert_null (strstr (authorization, "pw"));
}

static void
test_authorization_carries_qop_nc_cnonce_and_opaque (void)
{
  g_auto (SipdDigestChallenge) challenge = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *expect_response = sipd_digest_response (SIPD_DIGEST_SHA256, "1001", "r", "pw", "REGISTER",
                                                           "sip:r", "n", "0000000a", "cn", TRUE);
  g_autofree char *expect = g_strdup_printf (
    "Digest username=\"1001\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"%s\", "
    "algorithm=SHA-256, cnonce=\"cn\", qop=auth, nc=0000000a, opaque=\"o\"", expect_response);

  g_assert_true (sipd_digest_challenge_parse ("Digest realm=\"r\",nonce=\"n\",opaque=\"o\","
                                              "algorithm=SHA-256,qop=\"auth\"",
                                              &challenge, &reason));
  authorization = sipd_digest_authorization (&challenge, "1001", "pw", "REGISTER", "sip:r", "cn", 10);
  g_assert_cmpstr (authorization, ==, expect);
}

static void
test_bad_challenges_are_refused_with_a_reason (void)
{
  static const struct {
    const char *header;
    const char *reason;
  } cases[] = {
    { "Basic realm=\"r\"", "not a Digest challenge" },
    { "Digest realm=\"r\"", "challenge without realm or nonce" },
    { "Digest realm=\"r\", nonce=\"n", "unterminated quoted value of 'nonce'" },
    { "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess", "unsupported algorithm 'MD5-sess'" },
    { "Digest realm", "malformed parameter at 'realm'" },
    { "Digest realm=\"r\r\nVia: x\", nonce=\"n\"", "control character in the value of 'realm'" },
    { "Digest realm=\"r\", nonce=\"n\", algorithm=\"\xff\xfe\"", "unsupported algorithm '\xef\xbf\xbd\xef\xbf\xbd'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (SipdDigestChallenge) challenge = { 0 };
    g_autofree char *reason = NULL;
    g_assert_false (sipd_digest_challenge_parse (cases[i].header, &challenge, &reason));
    g_assert_cmpstr (reason, ==, cases[i].reason);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/digest/rfc2617-md5-qop-auth-example", test_rfc2617_md5_qop_auth_example);
  g_test_add_func ("/sipd/digest/rfc7616-sha256-example", test_rfc7616_sha256_example);
  g_test_add_func ("/sipd/digest/rfc7616-md5-example", test_rfc7616_md5_example);
  g_test_add_func ("/sipd/digest/challenge-parses-quoted-and-token-values",
                   test_challenge_parses_quoted_and_token_values);
  g_test_add_func ("/sipd/digest/challenge-without-qop-or-algorithm-is-rfc2069-md5",
                   test_challenge_without_qop_or_algorithm_is_rfc2069_md5);
  g_test_add_func ("/sipd/digest/authorization-carries-qop-nc-cnonce-and-opaque",
                   test_authorization_carries_qop_nc_cnonce_and_opaque);
  g_test_add_func ("/sipd/digest/bad-challenges-are-refused-with-a-reason",
                   test_bad_challenges_are_refused_with_a_reason);
  return g_test_run ();
}
