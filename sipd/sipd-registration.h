/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One binding of one line at one registrar (RFC 3261 §10, RFC 5626 §4.2):
 * REGISTER with the outbound Contact, digest authentication, 423 handling,
 * refresh before expiry, and un-registration. It keeps its Call-ID and CSeq
 * across refreshes and across the flows it is moved to. What to do after a
 * failure (retry, recover the flow, fail over) is the line's decision. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_REGISTRATION_STATE_IDLE,
  SIPD_REGISTRATION_STATE_REGISTERING,
  SIPD_REGISTRATION_STATE_REGISTERED,
  SIPD_REGISTRATION_STATE_UNREGISTERING,
  SIPD_REGISTRATION_STATE_FAILED,
} SipdRegistrationState;

typedef struct {
  const char *aor;           /* "sip:1001@pbx.example.com" */
  const char *registrar_uri; /* the Request-URI: "sip:192.0.2.10:5060;transport=tcp" */
  const char *route;         /* a Route header value for an outbound proxy, or NULL */
  const char *user;          /* user part of the Contact */
  const char *display_name;
  const char *auth_user;
  const char *password;
  const char *instance_id; /* "urn:uuid:…", or NULL */
  guint reg_id;            /* 0 = none */
  gboolean outbound;       /* ;ob, Supported: outbound */
  guint expires_s;
  guint renewal_s;         /* refresh this long before expiry */
  const char *user_agent;
} SipdRegistrationConfig;

typedef struct _SipdRegistration SipdRegistration;
typedef void (*SipdRegistrationFunc) (SipdRegistration *registration, gpointer user_data);

SipdRegistration *sipd_registration_new (SipdStack *stack,
                                         const SipdRegistrationConfig *config,
                                         SipdRegistrationFunc changed,
                                         gpointer user_data);
void sipd_registration_free (SipdRegistration *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdRegistration, sipd_registration_free)

void sipd_registration_set_handler (SipdRegistration *self, SipdRegistrationFunc changed, gpointer user_data);
void sipd_registration_register (SipdRegistration *self, SipdFlow *flow);
void sipd_registration_unregister (SipdRegistration *self);
gboolean sipd_registration_unregister_over (SipdRegistration *self, SipdFlow *flow, const char *route);
void sipd_registration_stop (SipdRegistration *self);

SipdRegistrationState sipd_registration_get_state (SipdRegistration *self);
SipdFlow *sipd_registration_get_flow (SipdRegistration *self);
const char *sipd_registration_get_failure (SipdRegistration *self);
guint sipd_registration_get_failure_status (SipdRegistration *self);
guint sipd_registration_get_retry_after (SipdRegistration *self);
gboolean sipd_registration_get_outbound (SipdRegistration *self);
guint sipd_registration_get_flow_timer (SipdRegistration *self);
/* RFC 6223: the seconds between keep-alives the registrar asked for with
 * keep=N in the top Via of its last 2xx; 0 when it did not. */
guint sipd_registration_get_keep (SipdRegistration *self);
guint sipd_registration_get_expires (SipdRegistration *self);
const char *sipd_registration_get_service_route (SipdRegistration *self);
const char *sipd_registration_get_path (SipdRegistration *self);
const char *sipd_registration_get_preloaded_route (SipdRegistration *self);
const char *sipd_registration_get_contact (SipdRegistration *self);
const char *sipd_registration_get_route (SipdRegistration *self);
const char *sipd_registration_get_aor (SipdRegistration *self);
const char *sipd_registration_state_to_string (SipdRegistrationState state);

G_END_DECLS
