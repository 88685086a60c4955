/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760): MD5,
 * SHA-256 and SHA-512-256, with and without qop=auth. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* weakest first: a server offering several is answered with the last */
typedef enum {
  SIPD_DIGEST_MD5,
  SIPD_DIGEST_SHA256,
  SIPD_DIGEST_SHA512_256,
} SipdDigestAlgorithm;

typedef struct {
  char *realm;
  char *nonce;
  char *opaque; /* NULL if none */
  SipdDigestAlgorithm algorithm;
  gboolean qop_auth; /* the server offered qop=auth */
  gboolean stale;
} SipdDigestChallenge;

void sipd_digest_challenge_clear (SipdDigestChallenge *challenge);
const char *sipd_digest_algorithm_to_string (SipdDigestAlgorithm algorithm);
char *sipd_digest_hash_hex (SipdDigestAlgorithm algorithm, const char *text);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SipdDigestChallenge, sipd_digest_challenge_clear)

gboolean sipd_digest_challenge_parse (const char *header_value,
                                      SipdDigestChallenge *ret_challenge,
                                      char **ret_reason);

char *sipd_digest_response (SipdDigestAlgorithm algorithm,
                            const char *user,
                            const char *realm,
                            const char *password,
                            const char *method,
                            const char *uri,
                            const char *nonce,
                            const char *nc,
                            const char *cnonce,
                            gboolean qop_auth);

char *sipd_digest_authorization (const SipdDigestChallenge *challenge,
                                 const char *user,
                                 const char *password,
                                 const char *method,
                                 const char *uri,
                                 const char *cnonce,
                                 guint32 nonce_count);

G_END_DECLS
