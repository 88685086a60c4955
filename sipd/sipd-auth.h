/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client side of digest authentication for one series of requests (a
 * registration, a subscription): keeps the last challenge, answers 401 and 407
 * with the strongest algorithm offered, and reuses the nonce with a growing
 * nonce count so that refreshes need no new challenge. */
#pragma once

#include "sipd-digest.h"
#include "sipd-message.h"

G_BEGIN_DECLS

#define SIPD_AUTH_MAX_ROUNDS 1 /* a challenge to fresh credentials means they are wrong, unless stale */
#define SIPD_AUTH_MAX_STALE_ROUNDS 3 /* a server that calls every nonce stale is not believed for ever */

typedef struct {
  gboolean have_challenge;
  gboolean proxy; /* Proxy-Authorization, for a 407 */
  SipdDigestChallenge challenge;
  guint32 nonce_count;
  guint rounds; /* challenges answered for the current request */
} SipdAuth;

void sipd_auth_clear (SipdAuth *self);
gboolean sipd_auth_take_challenge (SipdAuth *self, SipdMessage *response);
void sipd_auth_add_credentials (SipdAuth *self,
                                SipdBuilder *builder,
                                const char *user,
                                const char *password,
                                const char *method,
                                const char *uri);

G_END_DECLS
