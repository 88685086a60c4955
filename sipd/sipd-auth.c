/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-auth"

#include "sipd-auth.h"

#include <sofia-sip/msg_header.h>
#include <string.h>

void
sipd_auth_clear (SipdAuth *self)
{
  for (guint i = 0; i < self->n_realms; i++)
    sipd_digest_challenge_clear (&self->realms[i].challenge);
  g_free (self->failure);
  *self = (SipdAuth) { 0 };
}

void
sipd_auth_new_request (SipdAuth *self)
{
  for (guint i = 0; i < self->n_realms; i++) {
    self->realms[i].fresh = FALSE;
    self->realms[i].sent = FALSE;
    self->realms[i].stale_rounds = 0;
  }
}

const char *
sipd_auth_get_failure (SipdAuth *self)
{
  return self->failure ? self->failure : "";
}

static void
set_failure (SipdAuth *self, char *failure)
{
  g_free (self->failure);
  self->failure = failure;
}

static SipdAuthRealm *
find_realm (SipdAuth *self, const char *realm, gboolean proxy)
{
  for (guint i = 0; i < self->n_realms; i++)
    if (self->realms[i].proxy == proxy && g_strcmp0 (self->realms[i].challenge.realm, realm) == 0)
      return &self->realms[i];
  return NULL;
}

typedef struct {
  SipdDigestChallenge challenge;
  gboolean proxy;
} Candidate;

/* The strongest challenge of each realm in HEADERS, added to CANDIDATES. */
static void
collect (SipdMessage *response, const msg_auth_t *headers, gboolean proxy, Candidate *candidates, guint *n)
{
  for (const msg_auth_t *h = headers; h != NULL; h = h->au_next) {
    g_autofree char *text = sipd_message_print_header (response, h);
    g_auto (SipdDigestChallenge) parsed = { 0 };
    g_autofree char *reason = NULL;
    Candidate *same = NULL;

    if (!sipd_digest_challenge_parse (text, &parsed, &reason)) {
      g_debug ("skipped a challenge: %s", reason);
      continue;
    }
    for (guint i = 0; i < *n; i++)
      if (candidates[i].proxy == proxy && g_strcmp0 (candidates[i].challenge.realm, parsed.realm) == 0)
        same = &candidates[i];
    if (same == NULL && *n < SIPD_AUTH_MAX_REALMS) {
      same = &candidates[(*n)++];
      same->proxy = proxy;
    } else if (same == NULL || parsed.algorithm <= same->challenge.algorithm) {
      continue;
    }
    sipd_digest_challenge_clear (&same->challenge);
    same->challenge = parsed;
    parsed = (SipdDigestChallenge) { 0 };
  }
}

/* One realm's challenge: a realm that asked during this request and got its
 * credentials has refused them, unless it says the nonce was only stale. */
static SipdAuthVerdict
take_one (SipdAuth *self, Candidate *candidate)
{
  SipdAuthRealm *realm = find_realm (self, candidate->challenge.realm, candidate->proxy);

  if (realm != NULL && realm->fresh && realm->sent) {
    if (!candidate->challenge.stale || realm->stale_rounds >= SIPD_AUTH_MAX_STALE_ROUNDS) {
      g_autofree char *name = g_utf8_make_valid (candidate->challenge.realm, -1);
      set_failure (self, g_strdup_printf ("authentication failed: realm \"%s\" refused the credentials", name));
      return SIPD_AUTH_REJECTED;
    }
    realm->stale_rounds++;
  }
  if (realm == NULL) {
    if (self->n_realms == SIPD_AUTH_MAX_REALMS) {
      g_debug ("a challenge of one realm too many is not answered");
      return SIPD_AUTH_ANSWER;
    }
    realm = &self->realms[self->n_realms++];
    *realm = (SipdAuthRealm) { .proxy = candidate->proxy };
  }
  sipd_digest_challenge_clear (&realm->challenge);
  realm->challenge = candidate->challenge;
  candidate->challenge = (SipdDigestChallenge) { 0 };
  realm->nonce_count = 0;
  realm->fresh = TRUE;
  return SIPD_AUTH_ANSWER;
}

/* From a 401 or 407: every challenge in it, of the registrar or the proxies
 * on the way (a 401 passed on by a proxy may carry both kinds). */
SipdAuthVerdict
sipd_auth_take_challenge (SipdAuth *self, SipdMessage *response)
{
  sip_t *sip = sipd_message_get_sip (response);
  Candidate candidates[SIPD_AUTH_MAX_REALMS] = { 0 };
  SipdAuthVerdict verdict = SIPD_AUTH_ANSWER;
  guint n = 0;

  collect (response, sip->sip_www_authenticate, FALSE, candidates, &n);
  collect (response, sip->sip_proxy_authenticate, TRUE, candidates, &n);
  if (n == 0) {
    set_failure (self, g_strdup ("authentication failed: no digest challenge the phone can answer"));
    return SIPD_AUTH_UNUSABLE;
  }
  for (guint i = 0; i < n && verdict == SIPD_AUTH_ANSWER; i++)
    verdict = take_one (self, &candidates[i]);
  for (guint i = 0; i < n; i++)
    sipd_digest_challenge_clear (&candidates[i].challenge);
  return verdict;
}

/* nextnonce="x" of an Authentication-Info, for the realm of that kind that
 * the request authenticated with. */
static void
take_next_nonce (SipdAuth *self, const msg_auth_info_t *info, gboolean proxy)
{
  const char *value = info ? msg_params_find (info->ai_params, "nextnonce=") : NULL;
  g_autofree char *nonce = NULL;
  gsize length;

  if (value == NULL)
    return;
  length = strlen (value);
  if (length >= 2 && value[0] == '"' && value[length - 1] == '"')
    nonce = g_strndup (value + 1, length - 2);
  else
    nonce = g_strdup (value);
  for (guint i = 0; i < self->n_realms; i++) {
    SipdAuthRealm *realm = &self->realms[i];
    if (realm->proxy != proxy || !realm->sent || *nonce == '\0' || strpbrk (nonce, "\r\n") != NULL)
      continue;
    g_free (realm->challenge.nonce);
    realm->challenge.nonce = g_strdup (nonce);
    realm->nonce_count = 0;
    return;
  }
}

void
sipd_auth_take_info (SipdAuth *self, SipdMessage *response)
{
  sip_t *sip = sipd_message_get_sip (response);

  take_next_nonce (self, sip->sip_authentication_info, FALSE);
  take_next_nonce (self, sip->sip_proxy_authentication_info, TRUE);
}

void
sipd_auth_add_credentials (SipdAuth *self,
                           SipdBuilder *builder,
                           const char *user,
                           const char *password,
                           const char *method,
                           const char *uri)
{
  for (guint i = 0; i < self->n_realms; i++) {
    SipdAuthRealm *realm = &self->realms[i];
    g_autofree char *cnonce = sipd_random_token (16);
    g_autofree char *credentials = sipd_digest_authorization (&realm->challenge, user, password, method, uri,
                                                              cnonce, ++realm->nonce_count);

    sipd_builder_add (builder, realm->proxy ? "Proxy-Authorization" : "Authorization", "%s", credentials);
    realm->sent = TRUE;
  }
}
