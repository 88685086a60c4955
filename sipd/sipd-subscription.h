/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One subscription (RFC 6665): a SUBSCRIBE dialog to one resource for one event
 * package, refreshed before it expires, fed by the NOTIFYs that match it, and
 * subscribed again as RFC 6665 §4.1.3 says when the notifier ends it: at once
 * after "deactivated" or "timeout", never after "rejected" or "noresource". */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_SUBSCRIPTION_STATE_IDLE,
  SIPD_SUBSCRIPTION_STATE_PENDING,    /* SUBSCRIBE sent, or accepted but not yet authorised */
  SIPD_SUBSCRIPTION_STATE_ACTIVE,
  SIPD_SUBSCRIPTION_STATE_RETRYING,   /* failed or ended; a new SUBSCRIBE is due */
  SIPD_SUBSCRIPTION_STATE_TERMINATED, /* ended for good */
} SipdSubscriptionState;

typedef struct {
  const char *event;    /* "message-summary", "dialog" */
  const char *accept;   /* the body type asked for */
  const char *resource; /* the Request-URI and To: "sip:1002@pbx.example.com" */
  const char *aor;      /* From */
  const char *user;     /* user part of the Contact */
  const char *auth_user;
  const char *password;
  const char *route; /* a Route header value for an outbound proxy, or NULL */
  gboolean outbound; /* ;ob in the Contact */
  guint expires_s;
  guint retry_s;         /* after a rejected SUBSCRIBE */
  guint timeout_retry_s; /* after an unanswered one */
  const char *user_agent;
} SipdSubscriptionConfig;

typedef struct _SipdSubscription SipdSubscription;

typedef struct {
  void (*state_changed) (SipdSubscription *subscription, gpointer user_data);
  void (*notified) (SipdSubscription *subscription, const char *content_type, GBytes *body, gpointer user_data);
} SipdSubscriptionCallbacks;

SipdSubscription *sipd_subscription_new (SipdStack *stack,
                                         const SipdSubscriptionConfig *config,
                                         const SipdSubscriptionCallbacks *callbacks,
                                         gpointer user_data);
void sipd_subscription_free (SipdSubscription *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdSubscription, sipd_subscription_free)

/* The Route of the SUBSCRIBE that starts the next dialog. */
void sipd_subscription_set_route (SipdSubscription *self, const char *route);
void sipd_subscription_subscribe (SipdSubscription *self, SipdFlow *flow);
void sipd_subscription_unsubscribe (SipdSubscription *self);
gboolean sipd_subscription_end_over (SipdSubscription *self, SipdFlow *flow, const char *gone_host, const char *route);
void sipd_subscription_stop (SipdSubscription *self);
gboolean sipd_subscription_handle_notify (SipdSubscription *self, SipdFlow *flow, SipdMessage *notify);

SipdSubscriptionState sipd_subscription_get_state (SipdSubscription *self);
const char *sipd_subscription_get_event (SipdSubscription *self);
const char *sipd_subscription_get_resource (SipdSubscription *self);
const char *sipd_subscription_get_failure (SipdSubscription *self);
const char *sipd_subscription_state_to_string (SipdSubscriptionState state);

G_END_DECLS
