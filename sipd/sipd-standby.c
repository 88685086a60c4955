/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-standby"

#include "sipd-standby.h"

#include "sipd-resolver.h"
#include "sipd-timing.h"

struct _SipdStandby {
  SipdStack *stack;
  SipdResolver *resolver;
  SipdServer server;
  KlTransport transport;
  guint keepalive_s;
  guint retry_s;
  guint scale_percent;

  SipdRegistration *registration;
  SipdFlow *flow;
  guint watch;
  KlTimer *retry_timer;
  SipdResolverLookup *lookup;
  guint consecutive_failures;
  guint flow_failures;
  char *last_failure;
};

static void connect_flow (SipdStandby *self);

/* The other flow still works: the RFC's longer base of 90 s applies. */
static void
recover (SipdStandby *self, const char *reason)
{
  gint64 delay_ms;

  self->consecutive_failures++;
  delay_ms = sipd_backoff_delay_ms (sipd_stack_get_clock (self->stack), self->consecutive_failures, FALSE,
                                    self->registration ? sipd_registration_get_retry_after (self->registration) : 0,
                                    self->scale_percent);
  g_message ("second flow to %s failed (%s): new flow in %" G_GINT64_FORMAT " ms", self->server.host, reason,
             delay_ms);
  kl_timer_start (self->retry_timer, delay_ms);
}

static void
on_registration_changed (SipdRegistration *registration, gpointer user_data)
{
  SipdStandby *self = user_data;

  switch (sipd_registration_get_state (registration)) {
  case SIPD_REGISTRATION_STATE_REGISTERED:
    self->consecutive_failures = 0;
    sipd_flow_start_keepalive (self->flow, sipd_registration_get_flow_timer (registration), self->keepalive_s);
    break;
  case SIPD_REGISTRATION_STATE_FAILED:
    if (sipd_registration_get_failure_status (registration) == 0) {
      if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
        sipd_flow_fail (self->flow, sipd_registration_get_failure (registration));
      return;
    }
    g_message ("second flow: %s; registering again in %u s", sipd_registration_get_failure (registration),
               self->retry_s);
    kl_timer_start (self->retry_timer, (gint64) self->retry_s * 1000);
    break;
  case SIPD_REGISTRATION_STATE_IDLE:
  case SIPD_REGISTRATION_STATE_REGISTERING:
  case SIPD_REGISTRATION_STATE_UNREGISTERING:
    break;
  }
}

static void
on_flow_event (SipdStack *stack, SipdFlow *flow, SipdFlowEvent event, gpointer user_data)
{
  SipdStandby *self = user_data;

  if (flow != self->flow || event != SIPD_FLOW_EVENT_STATE)
    return;
  switch (sipd_flow_get_state (flow)) {
  case SIPD_FLOW_STATE_ACTIVE:
    sipd_registration_register (self->registration, flow);
    break;
  case SIPD_FLOW_STATE_FAILED:
  case SIPD_FLOW_STATE_CLOSED:
    self->flow_failures++;
    g_free (self->last_failure);
    self->last_failure = g_strdup (sipd_flow_get_failure (flow) ? sipd_flow_get_failure (flow) : "closed");
    g_clear_pointer (&self->flow, sipd_flow_unref);
    sipd_registration_stop (self->registration);
    recover (self, self->last_failure);
    break;
  case SIPD_FLOW_STATE_CONNECTING:
    break;
  }
}

static void
use_target (SipdStandby *self, const KlSipTarget *target)
{
  SipdFlow *flow = sipd_server_get_flow (&self->server, self->stack, self->transport, target);

  if (flow == NULL) {
    recover (self, "TLS is not available");
    return;
  }
  self->flow = sipd_flow_ref (flow);
  if (sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, flow);
}

static void
on_looked_up (const KlSipTargets *targets, const char *error, gpointer user_data)
{
  SipdStandby *self = user_data;

  self->lookup = NULL;
  if (targets == NULL) {
    recover (self, error);
    return;
  }
  use_target (self, g_ptr_array_index (targets->targets, 0));
}

static void
connect_flow (SipdStandby *self)
{
  self->lookup = sipd_resolver_lookup (self->resolver, &self->server, self->transport, on_looked_up, self);
}

static void
on_retry_due (gpointer user_data)
{
  SipdStandby *self = user_data;

  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, self->flow);
  else
    connect_flow (self);
}

/* Registers config (reg-id 2) over a flow to the plan's outbound proxy. */
SipdStandby *
sipd_standby_new (SipdStack *stack,
                  SipdResolver *resolver,
                  const SipdLineSettings *settings,
                  const SipdLinePlan *plan,
                  const SipdRegistrationConfig *config)
{
  SipdStandby *self = g_new0 (SipdStandby, 1);

  self->stack = stack;
  self->resolver = resolver;
  self->server.host = g_strdup (plan->flow.host);
  self->server.port = plan->flow.port;
  self->transport = settings->transport;
  self->keepalive_s = settings->keepalive_s;
  self->retry_s = settings->retry_s;
  self->scale_percent = settings->timer_scale_percent;
  self->registration = sipd_registration_new (stack, config, on_registration_changed, self);
  self->retry_timer = kl_timer_new (sipd_stack_get_clock (stack), on_retry_due, self);
  self->watch = sipd_stack_add_flow_watch (stack, on_flow_event, self);
  connect_flow (self);
  return self;
}

void
sipd_standby_free (SipdStandby *self)
{
  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  sipd_stack_remove_flow_watch (self->stack, self->watch);
  kl_timer_free (self->retry_timer);
  g_clear_pointer (&self->registration, sipd_registration_free);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_free (self->server.host);
  g_free (self->last_failure);
  g_free (self);
}

/* The network came back: the flow is checked now, or made again now. */
void
sipd_standby_network_gained (SipdStandby *self)
{
  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE) {
    sipd_flow_keepalive_now (self->flow);
  } else if (self->flow == NULL && self->lookup == NULL && kl_timer_is_active (self->retry_timer)) {
    kl_timer_stop (self->retry_timer);
    self->consecutive_failures = 0;
    connect_flow (self);
  }
}

/* For the line to un-register it; the standby does nothing more after this. */
SipdRegistration *
sipd_standby_steal_registration (SipdStandby *self)
{
  kl_timer_stop (self->retry_timer);
  return g_steal_pointer (&self->registration);
}

SipdFlow *
sipd_standby_get_flow (SipdStandby *self)
{
  return self->flow;
}

guint
sipd_standby_get_flow_failures (SipdStandby *self)
{
  return self->flow_failures;
}

const char *
sipd_standby_get_last_failure (SipdStandby *self)
{
  return self->last_failure ? self->last_failure : "";
}
