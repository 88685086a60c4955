/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-subscription"

#include "sipd-subscription.h"

#include <string.h>

#include "kl-random.h"
#include "sipd-auth.h"
#include "sipd-timing.h"

#define REFRESH_MARGIN_S 15
/* 423 Interval Too Brief: the notifier's Min-Expires is believed this many
 * times per SUBSCRIBE, and up to a week, past which nothing would refresh */
#define MAX_INTERVAL_ROUNDS 2
#define MAX_EXPIRES_S (7 * 24 * 3600)

struct _SipdSubscription {
  SipdStack *stack;
  SipdSubscriptionCallbacks callbacks;
  gpointer user_data;

  char *event;
  char *accept;
  char *resource;
  char *aor;
  char *user;
  char *auth_user;
  char *password;
  char *route;
  gboolean outbound;
  guint expires_s;
  guint interval_rounds; /* 423s answered for the SUBSCRIBE under way */
  guint retry_s;
  guint timeout_retry_s;
  char *user_agent;

  SipdFlow *flow;
  char *contact;
  /* the dialog */
  char *call_id;
  char *from_tag;
  char *to_tag;         /* NULL until the 2xx or the first NOTIFY */
  char *remote_target;  /* the notifier's Contact */
  char *route_set;      /* from the 2xx's Record-Route, as Route header values */
  guint32 cseq;

  SipdSubscriptionState state;
  char *failure;
  guint transaction;
  gboolean unsubscribing;
  SipdAuth auth;
  KlTimer *refresh_timer;
  KlTimer *retry_timer;
};

static void send_subscribe (SipdSubscription *self);

const char *
sipd_subscription_state_to_string (SipdSubscriptionState state)
{
  switch (state) {
  case SIPD_SUBSCRIPTION_STATE_IDLE:
    return "idle";
  case SIPD_SUBSCRIPTION_STATE_PENDING:
    return "pending";
  case SIPD_SUBSCRIPTION_STATE_ACTIVE:
    return "active";
  case SIPD_SUBSCRIPTION_STATE_RETRYING:
    return "retrying";
  case SIPD_SUBSCRIPTION_STATE_TERMINATED:
    return "terminated";
  }
  g_return_val_if_reached ("?");
}

static void
set_state (SipdSubscription *self, SipdSubscriptionState state)
{
  if (self->state == state)
    return;
  g_debug ("%s of %s: %s -> %s", self->event, self->resource, sipd_subscription_state_to_string (self->state),
           sipd_subscription_state_to_string (state));
  self->state = state;
  self->callbacks.state_changed (self, self->user_data);
}

static void
cancel_pending (SipdSubscription *self)
{
  if (self->transaction != 0)
    sipd_stack_cancel_request (self->stack, self->transaction);
  self->transaction = 0;
}

static void
forget_dialog (SipdSubscription *self)
{
  g_clear_pointer (&self->to_tag, g_free);
  g_clear_pointer (&self->remote_target, g_free);
  g_clear_pointer (&self->route_set, g_free);
  g_free (self->call_id);
  g_free (self->from_tag);
  self->call_id = sipd_random_token (24);
  self->from_tag = sipd_random_token (12);
  sipd_auth_clear (&self->auth);
}

static void
on_refresh_due (gpointer user_data)
{
  SipdSubscription *self = user_data;

  sipd_auth_new_request (&self->auth);
  self->interval_rounds = 0;
  send_subscribe (self);
}

/* A retry is a new subscription: a new dialog over the same flow. */
static void
on_retry_due (gpointer user_data)
{
  SipdSubscription *self = user_data;

  if (self->flow == NULL || sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE)
    return; /* the line subscribes again once it has a flow */
  sipd_subscription_subscribe (self, self->flow);
}

static void
retry_later (SipdSubscription *self, guint delay_s, const char *reason)
{
  g_free (self->failure);
  self->failure = g_strdup (reason);
  kl_timer_stop (self->refresh_timer);
  kl_timer_start (self->retry_timer, (gint64) delay_s * 1000);
  set_state (self, SIPD_SUBSCRIPTION_STATE_RETRYING);
}

SipdSubscription *
sipd_subscription_new (SipdStack *stack,
                       const SipdSubscriptionConfig *config,
                       const SipdSubscriptionCallbacks *callbacks,
                       gpointer user_data)
{
  SipdSubscription *self = g_new0 (SipdSubscription, 1);

  self->stack = stack;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->event = g_strdup (config->event);
  self->accept = g_strdup (config->accept);
  self->resource = g_strdup (config->resource);
  self->aor = g_strdup (config->aor);
  self->user = g_strdup (config->user);
  self->auth_user = g_strdup (config->auth_user && *config->auth_user ? config->auth_user : config->user);
  self->password = g_strdup (config->password ? config->password : "");
  self->route = g_strdup (config->route);
  self->outbound = config->outbound;
  self->expires_s = config->expires_s;
  self->retry_s = config->retry_s;
  self->timeout_retry_s = config->timeout_retry_s;
  self->user_agent = g_strdup (config->user_agent ? config->user_agent : "keepline");
  self->cseq = 1 + kl_random_below (9999);
  self->refresh_timer = kl_timer_new (sipd_stack_get_clock (stack), on_refresh_due, self);
  self->retry_timer = kl_timer_new (sipd_stack_get_clock (stack), on_retry_due, self);
  forget_dialog (self);
  return self;
}

void
sipd_subscription_free (SipdSubscription *self)
{
  cancel_pending (self);
  kl_timer_free (self->refresh_timer);
  kl_timer_free (self->retry_timer);
  sipd_auth_clear (&self->auth);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->event);
  g_free (self->accept);
  g_free (self->resource);
  g_free (self->aor);
  g_free (self->user);
  g_free (self->auth_user);
  g_free (self->route);
  g_free (self->user_agent);
  g_free (self->contact);
  g_free (self->call_id);
  g_free (self->from_tag);
  g_free (self->to_tag);
  g_free (self->remote_target);
  g_free (self->route_set);
  g_free (self->failure);
  g_free (self);
}

/* Requests */

static char *
contact_uri (SipdSubscription *self)
{
  g_autoptr (GInetSocketAddress) local = sipd_stack_get_local_address (self->stack, self->flow);
  g_autofree char *host_port = sipd_socket_address_to_string (local);
  KlTransport transport = sipd_flow_get_transport (self->flow);

  return g_strdup_printf ("sip:%s@%s%s%s%s", self->user, *host_port ? host_port : "0.0.0.0",
                          transport == KL_TRANSPORT_UDP ? "" : ";transport=",
                          transport == KL_TRANSPORT_UDP ? "" : kl_transport_to_string (transport),
                          self->outbound ? ";ob" : "");
}

static void on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data);

/* A SUBSCRIBE in the subscription's dialog (or starting one) over flow. */
static GBytes *
build_subscribe (SipdSubscription *self, SipdFlow *flow, const char *branch, guint expires_s)
{
  g_autofree char *via = sipd_stack_via (self->stack, flow, branch);
  const char *uri = self->remote_target ? self->remote_target : self->resource;
  const char *route = self->to_tag != NULL ? self->route_set : self->route;
  SipdBuilder *builder = sipd_builder_new_request ("SUBSCRIBE", uri);

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "<%s>;tag=%s", self->aor, self->from_tag);
  if (self->to_tag != NULL)
    sipd_builder_add (builder, "To", "<%s>;tag=%s", self->resource, self->to_tag);
  else
    sipd_builder_add (builder, "To", "<%s>", self->resource);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u SUBSCRIBE", ++self->cseq);
  if (route != NULL)
    sipd_builder_add (builder, "Route", "%s", route);
  sipd_builder_add (builder, "Contact", "<%s>", self->contact);
  sipd_builder_add (builder, "Event", "%s", self->event);
  sipd_builder_add (builder, "Accept", "%s", self->accept);
  sipd_builder_add (builder, "Expires", "%u", expires_s);
  sipd_auth_add_credentials (&self->auth, builder, self->auth_user, self->password, "SUBSCRIBE", uri);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  return sipd_builder_finish (builder, NULL, NULL);
}

static void
send_subscribe (SipdSubscription *self)
{
  g_autofree char *branch = sipd_new_branch ();
  g_autoptr (GBytes) request = NULL;

  cancel_pending (self);
  request = build_subscribe (self, self->flow, branch, self->unsubscribing ? 0 : self->expires_s);
  self->transaction = sipd_stack_send_request (self->stack, self->flow, "SUBSCRIBE", branch, request, on_response,
                                               self);
}

static void
on_stale_dialog_answered (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  g_debug ("the old subscription dialog: %s", response ? sipd_message_get_reason (response) : failure);
}

/* The dialog of a flow that failed ends at the notifier (Expires: 0), over
 * the new flow, answered or not; else the notifier keeps it, and sends its
 * NOTIFYs to a contact that is gone, until it expires. */
static void
end_stale_dialog (SipdSubscription *self, SipdFlow *flow)
{
  g_autofree char *branch = sipd_new_branch ();
  g_autoptr (GBytes) request = NULL;

  if (self->to_tag == NULL || self->flow == NULL || self->flow == flow ||
      sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    return;
  request = build_subscribe (self, flow, branch, 0);
  sipd_stack_send_request (self->stack, flow, "SUBSCRIBE", branch, request, on_stale_dialog_answered, NULL);
}

/* Learns the dialog from a 2xx or the first NOTIFY: the remote tag and target. */
static void
learn_dialog (SipdSubscription *self, SipdMessage *message, const char *remote_tag)
{
  sip_t *sip = sipd_message_get_sip (message);

  if (self->to_tag == NULL && remote_tag != NULL)
    self->to_tag = g_strdup (remote_tag);
  if (sip->sip_contact != NULL) {
    g_autofree char *target = sipd_message_print_uri (message, sip->sip_contact->m_url);

    if (sipd_message_is_target (target)) {
      g_free (self->remote_target);
      self->remote_target = g_steal_pointer (&target);
    }
  }
}

/* The route set of a UAC: the 2xx's Record-Route, in reverse order. */
static char *
route_set_of (SipdMessage *response)
{
  g_autoptr (GPtrArray) routes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) joined = g_string_new (NULL);

  for (const sip_record_route_t *r = sipd_message_get_sip (response)->sip_record_route; r; r = r->r_next)
    g_ptr_array_insert (routes, 0, sipd_message_print_header (response, r));
  for (guint i = 0; i < routes->len; i++)
    g_string_append_printf (joined, "%s%s", i ? ", " : "", (char *) g_ptr_array_index (routes, i));
  return routes->len > 0 ? g_string_free (g_steal_pointer (&joined), FALSE) : NULL;
}

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdSubscription *self = user_data;
  guint status;
  g_autofree char *reason = NULL;
  sip_t *sip;

  self->transaction = 0;
  if (response == NULL) {
    if (self->unsubscribing) {
      set_state (self, SIPD_SUBSCRIPTION_STATE_IDLE);
      return;
    }
    retry_later (self, self->timeout_retry_s, failure);
    return;
  }

  status = sipd_message_get_status (response);
  sip = sipd_message_get_sip (response);
  reason = sipd_message_describe_refusal (response);
  if (status == 423 && sip->sip_min_expires != NULL && sip->sip_min_expires->me_delta > self->expires_s &&
      sip->sip_min_expires->me_delta <= MAX_EXPIRES_S && !self->unsubscribing &&
      self->interval_rounds++ < MAX_INTERVAL_ROUNDS) {
    /* RFC 6665 §4.1.2.1: the notifier wants longer subscriptions */
    self->expires_s = (guint) sip->sip_min_expires->me_delta;
    send_subscribe (self);
    return;
  }
  if (status == 401 || status == 407) {
    if (sipd_auth_take_challenge (&self->auth, response) == SIPD_AUTH_ANSWER) {
      send_subscribe (self);
      return;
    }
    g_free (reason);
    reason = g_strdup_printf ("%u %s: %s", status, sipd_message_get_reason (response),
                              sipd_auth_get_failure (&self->auth));
  }
  if (self->unsubscribing) {
    set_state (self, SIPD_SUBSCRIPTION_STATE_IDLE);
    return;
  }
  if (status >= 200 && status < 300) {
    guint granted = sip->sip_expires ? (guint) sip->sip_expires->ex_delta : self->expires_s;

    sipd_auth_take_info (&self->auth, response);
    if (self->route_set == NULL)
      self->route_set = route_set_of (response);
    learn_dialog (self, response, sip->sip_to->a_tag);
    g_clear_pointer (&self->failure, g_free);
    if (granted == 0) {
      retry_later (self, self->retry_s, "the notifier granted no time");
      return;
    }
    kl_timer_start (self->refresh_timer, sipd_refresh_delay_ms (granted, REFRESH_MARGIN_S));
    /* the NOTIFY that follows says whether it is active or still pending */
    if (self->state == SIPD_SUBSCRIPTION_STATE_PENDING)
      set_state (self, SIPD_SUBSCRIPTION_STATE_ACTIVE);
    return;
  }
  if (status == 481 && self->to_tag != NULL) {
    /* the notifier forgot us: a new subscription, at once (RFC 6665 §4.1.2.2) */
    sipd_subscription_subscribe (self, self->flow);
    return;
  }
  retry_later (self, sip->sip_retry_after ? (guint) sip->sip_retry_after->af_delta : self->retry_s, reason);
}

/* NOTIFY */

static void
respond (SipdSubscription *self, SipdFlow *flow, SipdMessage *request, guint status, const char *reason)
{
  SipdBuilder *builder = sipd_builder_new_response (request, status, reason, NULL);
  g_autoptr (GBytes) response = sipd_builder_finish (builder, NULL, NULL);

  sipd_stack_respond (self->stack, flow, request, response);
}

/* RFC 6665 §4.1.3: after "deactivated" or "timeout" (or no reason) subscribe
 * again at once; after "probation" or "giveup" later; never after "rejected",
 * "noresource" or "invariant". */
static void
terminated (SipdSubscription *self, const sip_subscription_state_t *state)
{
  const char *reason = state->ss_reason;
  g_autofree char *text = g_strdup_printf ("terminated by the notifier (%s)", reason ? reason : "no reason");

  kl_timer_stop (self->refresh_timer);
  if (reason == NULL || g_ascii_strcasecmp (reason, "deactivated") == 0 ||
      g_ascii_strcasecmp (reason, "timeout") == 0) {
    forget_dialog (self);
    retry_later (self, 0, text);
  } else if (g_ascii_strcasecmp (reason, "probation") == 0 || g_ascii_strcasecmp (reason, "giveup") == 0) {
    forget_dialog (self);
    retry_later (self, state->ss_retry_after ? (guint) strtoul (state->ss_retry_after, NULL, 10) : self->retry_s,
                 text);
  } else {
    g_free (self->failure);
    self->failure = g_steal_pointer (&text);
    set_state (self, SIPD_SUBSCRIPTION_STATE_TERMINATED);
  }
}

gboolean
sipd_subscription_handle_notify (SipdSubscription *self, SipdFlow *flow, SipdMessage *notify)
{
  sip_t *sip = sipd_message_get_sip (notify);
  const sip_subscription_state_t *state = sip->sip_subscription_state;
  g_autoptr (GBytes) body = NULL;

  if (g_strcmp0 (sipd_message_get_call_id (notify), self->call_id) != 0 ||
      g_strcmp0 (sip->sip_to->a_tag, self->from_tag) != 0 ||
      (self->to_tag != NULL && g_strcmp0 (sip->sip_from->a_tag, self->to_tag) != 0))
    return FALSE;
  if (flow != self->flow) {
    /* only the notifier, over the flow the subscription lives on (issue 12) */
    g_autofree char *from = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
    g_message ("%s: ignored a NOTIFY of the subscription that came from %s, not over its flow", self->event, from);
    return TRUE;
  }
  if (sip->sip_event == NULL || g_ascii_strcasecmp (sip->sip_event->o_type, self->event) != 0) {
    respond (self, flow, notify, 489, "Bad Event");
    return TRUE;
  }
  if (state == NULL) {
    respond (self, flow, notify, 400, "Missing Subscription-State");
    return TRUE;
  }
  body = sipd_message_get_body (notify);
  if (g_bytes_get_size (body) > 0 &&
      (sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
       g_ascii_strcasecmp (sip->sip_content_type->c_type, self->accept) != 0)) {
    /* RFC 6665 §4.1.3: only the type the SUBSCRIBE's Accept named */
    SipdBuilder *builder = sipd_builder_new_response (notify, 415, "Unsupported Media Type", NULL);
    g_autoptr (GBytes) response = NULL;

    sipd_builder_add (builder, "Accept", "%s", self->accept);
    response = sipd_builder_finish (builder, NULL, NULL);
    sipd_stack_respond (self->stack, flow, notify, response);
    return TRUE;
  }
  respond (self, flow, notify, 200, "OK");
  if (self->unsubscribing) {
    /* the notifier confirms the end we asked for: nothing to retry */
    if (g_ascii_strcasecmp (state->ss_substate, "terminated") == 0)
      set_state (self, SIPD_SUBSCRIPTION_STATE_IDLE);
    return TRUE;
  }
  learn_dialog (self, notify, sip->sip_from->a_tag);

  if (g_bytes_get_size (body) > 0 && self->callbacks.notified != NULL)
    self->callbacks.notified (self, sip->sip_content_type ? sip->sip_content_type->c_type : "", body,
                              self->user_data);

  if (g_ascii_strcasecmp (state->ss_substate, "terminated") == 0)
    terminated (self, state);
  else if (g_ascii_strcasecmp (state->ss_substate, "pending") == 0)
    set_state (self, SIPD_SUBSCRIPTION_STATE_PENDING);
  else {
    if (state->ss_expires != NULL) {
      guint expires = (guint) strtoul (state->ss_expires, NULL, 10);
      gint64 delay = sipd_refresh_delay_ms (expires, REFRESH_MARGIN_S);
      gint64 now = kl_clock_now_ms (sipd_stack_get_clock (self->stack));
      if (expires > 0 && (!kl_timer_is_active (self->refresh_timer) ||
                          now + delay < kl_timer_get_deadline_ms (self->refresh_timer)))
        kl_timer_start (self->refresh_timer, delay);
    }
    set_state (self, SIPD_SUBSCRIPTION_STATE_ACTIVE);
  }
  return TRUE;
}

void
sipd_subscription_set_route (SipdSubscription *self, const char *route)
{
  if (g_strcmp0 (self->route, route) == 0)
    return;
  g_free (self->route);
  self->route = g_strdup (route);
}

/* Lifetime */

/* Starts a new subscription (a new dialog) over the flow, which must be active. */
void
sipd_subscription_subscribe (SipdSubscription *self, SipdFlow *flow)
{
  g_return_if_fail (flow != NULL);

  end_stale_dialog (self, flow);
  if (self->flow != flow) {
    g_clear_pointer (&self->flow, sipd_flow_unref);
    self->flow = sipd_flow_ref (flow);
  }
  cancel_pending (self);
  kl_timer_stop (self->refresh_timer);
  kl_timer_stop (self->retry_timer);
  forget_dialog (self);
  g_free (self->contact);
  self->contact = contact_uri (self);
  self->unsubscribing = FALSE;
  self->interval_rounds = 0;
  set_state (self, SIPD_SUBSCRIPTION_STATE_PENDING);
  send_subscribe (self);
}

/* Ends the subscription at the notifier (Expires: 0), when there is a dialog. */
void
sipd_subscription_unsubscribe (SipdSubscription *self)
{
  kl_timer_stop (self->refresh_timer);
  kl_timer_stop (self->retry_timer);
  if (self->to_tag == NULL || self->flow == NULL || sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE) {
    cancel_pending (self);
    set_state (self, SIPD_SUBSCRIPTION_STATE_IDLE);
    return;
  }
  self->unsubscribing = TRUE;
  sipd_auth_new_request (&self->auth);
  self->interval_rounds = 0;
  send_subscribe (self);
}

static gboolean
route_is_via (const char *route, gsize length, const char *host)
{
  g_autofree char *entry = g_strndup (route, length);
  g_autofree char *plain = g_strconcat ("sip:", host, NULL);
  g_autofree char *with_user = g_strconcat ("@", host, NULL);

  return strstr (entry, plain) != NULL || strstr (entry, with_user) != NULL;
}

/* The dialog's route set with the entries of an edge proxy that is gone at
 * its start replaced by the edge proxy in use (route, NULL when none). */
static char *
route_set_via (const char *route_set, const char *gone_host, const char *route)
{
  const char *rest = route_set;

  while (rest != NULL && *rest != '\0') {
    const char *close = strchr (rest, '>');
    const char *next = close ? strchr (close, ',') : NULL;
    gsize length = next ? (gsize) (next - rest) : strlen (rest);

    if (!route_is_via (rest, length, gone_host))
      break;
    rest = next ? next + strspn (next, ", ") : NULL;
  }
  if (route == NULL)
    return rest && *rest ? g_strdup (rest) : NULL;
  return rest && *rest ? g_strconcat (route, ", ", rest, NULL) : g_strdup (route);
}

/* Ends, over another flow to the same notifier, a dialog whose own flow
 * failed: through the edge proxy of that flow (route) instead of the one that
 * failed (gone_host), which cannot forward anything any more. FALSE when there
 * is no dialog to end. */
gboolean
sipd_subscription_end_over (SipdSubscription *self, SipdFlow *flow, const char *gone_host, const char *route)
{
  if (self->to_tag == NULL)
    return FALSE;
  if (gone_host != NULL) {
    char *route_set = route_set_via (self->route_set, gone_host, route);
    g_free (self->route_set);
    self->route_set = route_set;
  }
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->flow = sipd_flow_ref (flow);
  cancel_pending (self);
  kl_timer_stop (self->refresh_timer);
  kl_timer_stop (self->retry_timer);
  self->unsubscribing = TRUE;
  sipd_auth_new_request (&self->auth);
  self->interval_rounds = 0;
  send_subscribe (self);
  return TRUE;
}

/* Forgets the subscription without telling the notifier (the flow is gone). */
void
sipd_subscription_stop (SipdSubscription *self)
{
  cancel_pending (self);
  kl_timer_stop (self->refresh_timer);
  kl_timer_stop (self->retry_timer);
  set_state (self, SIPD_SUBSCRIPTION_STATE_IDLE);
}

SipdSubscriptionState
sipd_subscription_get_state (SipdSubscription *self)
{
  return self->state;
}

const char *
sipd_subscription_get_event (SipdSubscription *self)
{
  return self->event;
}

const char *
sipd_subscription_get_resource (SipdSubscription *self)
{
  return self->resource;
}

const char *
sipd_subscription_get_failure (SipdSubscription *self)
{
  return self->failure;
}
