/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-auth"

#include "sipd-auth.h"

void
sipd_auth_clear (SipdAuth *self)
{
  sipd_digest_challenge_clear (&self->challenge);
  *self = (SipdAuth) { 0 };
}

/* From a 401 or 407: TRUE when the request should go again with credentials,
 * FALSE when there is no usable challenge or the credentials were refused. */
gboolean
sipd_auth_take_challenge (SipdAuth *self, SipdMessage *response)
{
  guint status = sipd_message_get_status (response);
  sip_t *sip = sipd_message_get_sip (response);
  const msg_auth_t *header = status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
  g_auto (SipdDigestChallenge) best = { 0 };
  gboolean found = FALSE;

  for (const msg_auth_t *h = header; h != NULL; h = h->au_next) {
    g_autofree char *text = sipd_message_print_header (response, h);
    g_auto (SipdDigestChallenge) candidate = { 0 };
    g_autofree char *reason = NULL;

    if (!sipd_digest_challenge_parse (text, &candidate, &reason)) {
      g_debug ("skipped a challenge: %s", reason);
      continue;
    }
    if (!found || (candidate.algorithm == SIPD_DIGEST_SHA256 && best.algorithm != SIPD_DIGEST_SHA256)) {
      sipd_digest_challenge_clear (&best);
      best = candidate;
      candidate = (SipdDigestChallenge) { 0 };
      found = TRUE;
    }
  }
  if (!found || self->rounds >= SIPD_AUTH_MAX_ROUNDS + (best.stale ? SIPD_AUTH_MAX_STALE_ROUNDS : 0))
    return FALSE;

  self->rounds++;
  sipd_digest_challenge_clear (&self->challenge);
  self->challenge = best;
  best = (SipdDigestChallenge) { 0 };
  self->have_challenge = TRUE;
  self->proxy = status == 407;
  self->nonce_count = 0;
  return TRUE;
}

void
sipd_auth_add_credentials (SipdAuth *self,
                           SipdBuilder *builder,
                           const char *user,
                           const char *password,
                           const char *method,
                           const char *uri)
{
  g_autofree char *cnonce = NULL;
  g_autofree char *credentials = NULL;

  if (!self->have_challenge)
    return;
  cnonce = sipd_random_token (16);
  credentials = sipd_digest_authorization (&self->challenge, user, password, method, uri, cnonce,
                                           ++self->nonce_count);
  sipd_builder_add (builder, self->proxy ? "Proxy-Authorization" : "Authorization", "%s", credentials);
}
