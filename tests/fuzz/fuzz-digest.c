/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any text as the value of a WWW-Authenticate or
 * Proxy-Authenticate header. The parser refuses or parses; what it parses
 * gives an Authorization, whatever algorithm and qop it named, that stays
 * one header line. */
#include <string.h>

#include "sipd-digest.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto (SipdDigestChallenge) challenge = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *answer = NULL;

  if (!sipd_digest_challenge_parse (text, &challenge, &reason)) {
    g_assert (reason != NULL && g_utf8_validate (reason, -1, NULL)); /* it may reach LastError */
    return 0;
  }
  answer = sipd_digest_authorization (&challenge, "1001", "secret", "REGISTER", "sip:keepline.test", "cnonce", 1);
  /* the realm and nonce go back byte for byte, but never break the header */
  g_assert (answer != NULL && strpbrk (answer, "\r\n") == NULL);
  return 0;
}
