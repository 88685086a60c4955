/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-probe"

#include "sipd-probe.h"

#include <string.h>

#include "sipd-resolver.h"

#define PROBE_MIN_S 5.0
#define PROBE_MAX_S 10.0
#define PROBE_MAX_DOUBLINGS 3 /* 5-10 s, then up to 40-80 s while the server stays dead */

struct _SipdProbe {
  SipdStack *stack;
  SipdResolver *resolver;
  SipdServer server;
  KlTransport transport;
  guint scale_percent;
  SipdProbeFunc alive;
  gpointer user_data;

  KlTimer *timer;
  guint watch;
  SipdFlow *flow; /* the flow of the attempt under way */
  SipdResolverLookup *lookup;
  guint attempts;
  gboolean pinged;
};

static void attempt (SipdProbe *self);

/* A random 5-10 s, doubled for each failed attempt up to three times. */
gint64
sipd_probe_delay_ms (KlClock *clock, guint failed_attempts, guint scale_percent)
{
  double seconds = kl_clock_random (clock, PROBE_MIN_S, PROBE_MAX_S);

  for (guint i = 0; i < MIN (failed_attempts, PROBE_MAX_DOUBLINGS); i++)
    seconds *= 2;
  return (gint64) (seconds * 1000) * scale_percent / 100;
}

static void
schedule (SipdProbe *self)
{
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->pinged = FALSE;
  kl_timer_start (self->timer, sipd_probe_delay_ms (sipd_stack_get_clock (self->stack), self->attempts,
                                                      self->scale_percent));
}

static void
ping (SipdProbe *self)
{
  self->pinged = TRUE;
  sipd_flow_keepalive_now (self->flow);
}

static void
on_flow_event (SipdStack *stack, SipdFlow *flow, SipdFlowEvent event, gpointer user_data)
{
  SipdProbe *self = user_data;

  if (flow != self->flow)
    return;
  if (event == SIPD_FLOW_EVENT_KEEPALIVE) {
    g_message ("%s answers again (attempt %u)", self->server.host, self->attempts + 1);
    g_clear_pointer (&self->flow, sipd_flow_unref);
    self->alive (self, self->user_data);
    return;
  }
  switch (sipd_flow_get_state (flow)) {
  case SIPD_FLOW_STATE_ACTIVE:
    if (!self->pinged)
      ping (self);
    break;
  case SIPD_FLOW_STATE_FAILED:
  case SIPD_FLOW_STATE_CLOSED:
    g_debug ("%s still down: %s", self->server.host, sipd_flow_get_failure (flow));
    self->attempts++;
    schedule (self);
    break;
  case SIPD_FLOW_STATE_CONNECTING:
    break;
  }
}

static void
use_target (SipdProbe *self, const KlSipTarget *target)
{
  SipdFlow *flow = sipd_server_get_flow (&self->server, self->stack, self->transport, target);

  if (flow == NULL) {
    self->attempts++;
    schedule (self);
    return;
  }
  self->flow = sipd_flow_ref (flow);
  if (sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE)
    ping (self);
}

static void
on_looked_up (const KlSipTargets *targets, const char *error, gpointer user_data)
{
  SipdProbe *self = user_data;

  self->lookup = NULL;
  if (targets == NULL) {
    self->attempts++;
    schedule (self);
    return;
  }
  use_target (self, g_ptr_array_index (targets->targets, 0));
}

static void
attempt (SipdProbe *self)
{
  g_debug ("probing %s (attempt %u)", self->server.host, self->attempts + 1);
  self->lookup = sipd_resolver_lookup (self->resolver, &self->server, self->transport, on_looked_up, self);
}

static void
on_timer (gpointer user_data)
{
  attempt (user_data);
}

void
sipd_probe_attempt_now (SipdProbe *self)
{
  self->attempts = 0;
  if (self->lookup != NULL || self->flow != NULL)
    return; /* an attempt is under way */
  kl_timer_stop (self->timer);
  attempt (self);
}

SipdProbe *
sipd_probe_new (SipdStack *stack,
                SipdResolver *resolver,
                const SipdServer *server,
                KlTransport transport,
                guint scale_percent,
                guint failed_attempts,
                SipdProbeFunc alive,
                gpointer user_data)
{
  SipdProbe *self = g_new0 (SipdProbe, 1);

  self->stack = stack;
  self->resolver = resolver;
  self->server.host = g_strdup (server->host);
  self->server.port = server->port;
  self->transport = transport;
  self->scale_percent = scale_percent;
  self->attempts = failed_attempts;
  self->alive = alive;
  self->user_data = user_data;
  self->timer = kl_timer_new (sipd_stack_get_clock (stack), on_timer, self);
  self->watch = sipd_stack_add_flow_watch (stack, on_flow_event, self);
  schedule (self);
  return self;
}

void
sipd_probe_free (SipdProbe *self)
{
  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  sipd_stack_remove_flow_watch (self->stack, self->watch);
  kl_timer_free (self->timer);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_free (self->server.host);
  g_free (self);
}

const SipdServer *
sipd_probe_get_server (SipdProbe *self)
{
  return &self->server;
}

guint
sipd_probe_get_attempts (SipdProbe *self)
{
  return self->attempts;
}
