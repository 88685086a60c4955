/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client side of digest authentication for one series of requests (a
 * registration, a subscription, a call's INVITEs): the challenges of every
 * realm on the way (a proxy's 407, a registrar's 401, in one response or one
 * after another), each answered with the strongest algorithm its server
 * offers. A nonce is reused with a growing nonce count, or replaced by the
 * server's nextnonce, so that refreshes need no new challenge. A realm that
 * challenges again the credentials it just asked for has refused them. */
#pragma once

#include "sipd-digest.h"
#include "sipd-message.h"

G_BEGIN_DECLS

/* a proxy, the registrar and a hop or two between: the realms of a response
 * past these are not answered */
#define SIPD_AUTH_MAX_REALMS 4
/* a server that calls every nonce stale is not believed for ever */
#define SIPD_AUTH_MAX_STALE_ROUNDS 3

typedef enum {
  SIPD_AUTH_ANSWER,   /* send the request again: it will carry credentials */
  SIPD_AUTH_REJECTED, /* a realm refused the credentials it asked for */
  SIPD_AUTH_UNUSABLE, /* no challenge the phone can answer */
} SipdAuthVerdict;

typedef struct {
  gboolean proxy; /* Proxy-Authorization, for a 407's challenge */
  SipdDigestChallenge challenge;
  guint32 nonce_count;
  gboolean fresh;      /* challenged during the request under way */
  gboolean sent;       /* in the request under way */
  guint stale_rounds;  /* of the request under way */
} SipdAuthRealm;

typedef struct {
  SipdAuthRealm realms[SIPD_AUTH_MAX_REALMS];
  guint n_realms;
  char *failure; /* why the last verdict was not SIPD_AUTH_ANSWER */
} SipdAuth;

void sipd_auth_clear (SipdAuth *self);
/* A new request of the series (a refresh, an un-REGISTER): the challenges
 * kept are answered again; one more challenge from each realm is believed. */
void sipd_auth_new_request (SipdAuth *self);
SipdAuthVerdict sipd_auth_take_challenge (SipdAuth *self, SipdMessage *response);
/* "authentication failed: realm \"x\" refused the credentials" and the like */
const char *sipd_auth_get_failure (SipdAuth *self);
/* Authentication-Info and Proxy-Authentication-Info of a final response:
 * a nextnonce (RFC 7616 §3.5) replaces the realm's nonce. */
void sipd_auth_take_info (SipdAuth *self, SipdMessage *response);
void sipd_auth_add_credentials (SipdAuth *self,
                                SipdBuilder *builder,
                                const char *user,
                                const char *password,
                                const char *method,
                                const char *uri);

G_END_DECLS
