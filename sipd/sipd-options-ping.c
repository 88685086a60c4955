/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-options-ping"

#include "sipd-options-ping.h"

#include "kl-random.h"

struct _SipdOptionsPing {
  SipdStack *stack;
  SipdFlow *flow;
  char *from;
  char *from_tag;
  char *call_id;
  guint32 cseq;
  guint interval_s;
  SipdOptionsPingCallbacks callbacks;
  gpointer user_data;
  KlTimer *timer;
  KlTimer *deadline; /* of the OPTIONS under way: "sip transaction timer", as for REGISTER */
  guint request;     /* the OPTIONS under way, 0 when none */
};

static gint64
next_ms (SipdOptionsPing *self)
{
  guint64 full_ms = (guint64) self->interval_s * 1000;

  return (gint64) (full_ms * 4 / 5 + kl_random_below ((guint32) MAX (full_ms / 5, 1)));
}

/* The OPTIONS under way got its answer or its deadline: the next one is due. */
static void
attempt_over (SipdOptionsPing *self)
{
  self->request = 0;
  kl_timer_stop (self->deadline);
  if (self->interval_s > 0)
    kl_timer_start (self->timer, next_ms (self));
}

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdOptionsPing *self = user_data;

  attempt_over (self);
  if (response != NULL)
    self->callbacks.answered (sipd_message_get_status (response), self->user_data);
  else
    self->callbacks.failed (failure, self->user_data);
}

static char *
server_uri (SipdFlow *flow)
{
  g_autofree char *where = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
  KlTransport transport = sipd_flow_get_transport (flow);

  return g_strdup_printf ("%s:%s%s%s", transport == KL_TRANSPORT_TLS ? "sips" : "sip", where,
                          transport == KL_TRANSPORT_TCP ? ";transport=tcp" : "",
                          transport == KL_TRANSPORT_TLS ? ";transport=tls" : "");
}

void
sipd_options_ping_now (SipdOptionsPing *self)
{
  g_autofree char *uri = server_uri (self->flow);
  g_autofree char *branch = sipd_new_branch ();
  g_autofree char *via = sipd_stack_via (self->stack, self->flow, branch);
  SipdBuilder *builder;
  g_autoptr (GBytes) request = NULL;

  if (self->request != 0 || sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE)
    return;
  kl_timer_stop (self->timer);
  builder = sipd_builder_new_request ("OPTIONS", uri);
  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "<%s>;tag=%s", self->from, self->from_tag);
  sipd_builder_add (builder, "To", "<%s>", uri);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u OPTIONS", ++self->cseq);
  request = sipd_builder_finish (builder, NULL, NULL);
  self->request = sipd_stack_send_request (self->stack, self->flow, "OPTIONS", branch, request, on_response, self);
  kl_timer_start (self->deadline, sipd_stack_get_timers (self->stack)->transaction_ms);
  g_debug ("OPTIONS %s over flow %u", uri, sipd_flow_get_id (self->flow));
}

static void
on_timer (gpointer user_data)
{
  sipd_options_ping_now (user_data);
}

/* A keep-alive waits no longer than a REGISTER does, not Timer F's 32 s. */
static void
on_deadline (gpointer user_data)
{
  SipdOptionsPing *self = user_data;
  g_autofree char *reason = g_strdup_printf ("no answer within %" G_GINT64_FORMAT " ms",
                                             sipd_stack_get_timers (self->stack)->transaction_ms);

  sipd_stack_cancel_request (self->stack, self->request);
  attempt_over (self);
  self->callbacks.failed (reason, self->user_data);
}

SipdOptionsPing *
sipd_options_ping_new (SipdStack *stack,
                       SipdFlow *flow,
                       const char *from,
                       guint interval_s,
                       const SipdOptionsPingCallbacks *callbacks,
                       gpointer user_data)
{
  SipdOptionsPing *self = g_new0 (SipdOptionsPing, 1);

  self->stack = stack;
  self->flow = sipd_flow_ref (flow);
  self->from = g_strdup (from);
  self->from_tag = sipd_random_token (10);
  self->call_id = sipd_random_token (20);
  self->cseq = 1 + kl_random_below (9999);
  self->interval_s = interval_s;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->timer = kl_timer_new (sipd_stack_get_clock (stack), on_timer, self);
  self->deadline = kl_timer_new (sipd_stack_get_clock (stack), on_deadline, self);
  if (interval_s > 0)
    kl_timer_start (self->timer, next_ms (self));
  else
    sipd_options_ping_now (self);
  return self;
}

void
sipd_options_ping_free (SipdOptionsPing *self)
{
  if (self == NULL)
    return;
  if (self->request != 0)
    sipd_stack_cancel_request (self->stack, self->request);
  kl_timer_free (self->timer);
  kl_timer_free (self->deadline);
  sipd_flow_unref (self->flow);
  g_free (self->from);
  g_free (self->from_tag);
  g_free (self->call_id);
  g_free (self);
}
