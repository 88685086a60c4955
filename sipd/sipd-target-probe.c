/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-target-probe"

#include "sipd-target-probe.h"

#include "kl-log.h"

struct _SipdTargetProbe {
  SipdLineContext *context;
  const SipdLineSettings *settings;
  SipdTargetBackFunc back;
  gpointer user_data;
  SipdTargetProbeState state;
  SipdFlowKeeper *probe; /* while watching */
  guint16 below;         /* the priority of the keeper's target: the probe walks those below it */
};

G_GNUC_PRINTF (3, 4)
static void
probe_log (SipdTargetProbe *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("line %u", self->settings->index);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "LINE", self->settings->index, prefix, format, args);
  va_end (args);
}

const char *
sipd_target_probe_state_to_string (SipdTargetProbeState state)
{
  switch (state) {
  case SIPD_TARGET_PROBE_STATE_IDLE:
    return "idle";
  case SIPD_TARGET_PROBE_STATE_WATCHING:
    return "watching";
  }
  g_return_val_if_reached ("?");
}

/* The one place the state changes; a probe exists while it is watching. */
static void
set_state (SipdTargetProbe *self, SipdTargetProbeState state, SipdFlowKeeper *probe, const char *reason)
{
  g_clear_pointer (&self->probe, sipd_flow_keeper_free);
  self->probe = probe;
  if (state == self->state)
    return;
  probe_log (self, G_LOG_LEVEL_DEBUG, "target probe %s -> %s (%s)", sipd_target_probe_state_to_string (self->state),
             sipd_target_probe_state_to_string (state), reason);
  self->state = state;
}

/* A better target answers: the probe goes, then the line is told, which
 * may follow a new keeper at once. */
static void
on_probe_changed (SipdFlowKeeper *probe, gpointer user_data)
{
  SipdTargetProbe *self = user_data;
  const KlSipTarget *target = sipd_flow_keeper_get_target (probe);
  g_autoptr (KlSipTargets) found = NULL;
  g_autofree char *host = NULL;

  if (probe != self->probe || !sipd_flow_keeper_is_up (probe) || target == NULL)
    return;
  found = kl_sip_targets_new (0, "probe");
  kl_sip_targets_add (found, target->host, target->address, target->port, target->priority, target->weight);
  host = g_strdup (sipd_flow_keeper_get_server (probe)->host);
  set_state (self, SIPD_TARGET_PROBE_STATE_IDLE, NULL, "a better target answers");
  self->back (host, g_ptr_array_index (found->targets, 0), self->user_data);
}

static const SipdFlowKeeperCallbacks probe_callbacks = { on_probe_changed, NULL };

SipdTargetProbe *
sipd_target_probe_new (SipdLineContext *context,
                       const SipdLineSettings *settings,
                       SipdTargetBackFunc back,
                       gpointer user_data)
{
  SipdTargetProbe *self = g_new0 (SipdTargetProbe, 1);

  self->context = context;
  self->settings = settings;
  self->back = back;
  self->user_data = user_data;
  self->state = SIPD_TARGET_PROBE_STATE_IDLE;
  return self;
}

void
sipd_target_probe_free (SipdTargetProbe *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->probe, sipd_flow_keeper_free);
  g_free (self);
}

/* The priority the keeper's target could do better than: its own, when a
 * target of the server has a lower one; 0 when none has. */
static guint16
better_than (SipdFlowKeeper *keeper)
{
  const KlSipTarget *target = keeper ? sipd_flow_keeper_get_target (keeper) : NULL;
  const KlSipTargets *targets = keeper ? sipd_flow_keeper_get_targets (keeper) : NULL;

  if (target == NULL || targets == NULL || !sipd_flow_keeper_is_up (keeper))
    return 0;
  for (guint i = 0; i < targets->targets->len; i++) {
    if (((const KlSipTarget *) g_ptr_array_index (targets->targets, i))->priority < target->priority)
      return target->priority;
  }
  return 0;
}

static gboolean
probes (SipdTargetProbe *self, const SipdServer *server, guint16 below)
{
  const SipdServer *probed = self->probe ? sipd_flow_keeper_get_server (self->probe) : NULL;

  return probed != NULL && self->below == below && probed->port == server->port &&
         g_ascii_strcasecmp (probed->host, server->host) == 0;
}

void
sipd_target_probe_follow (SipdTargetProbe *self, SipdFlowKeeper *keeper, guint failed_attempts)
{
  guint16 below = better_than (keeper);
  g_autofree char *name = NULL;
  g_autofree char *reason = NULL;
  SipdFlowKeeperOptions options;
  SipdFlowKeeper *probe;
  const SipdServer *server;

  if (below == 0) {
    set_state (self, SIPD_TARGET_PROBE_STATE_IDLE, NULL, keeper ? "no better target" : "the line moves");
    return;
  }
  server = sipd_flow_keeper_get_server (keeper);
  if (probes (self, server, below))
    return;
  name = g_strdup_printf ("line %u target probe", self->settings->index);
  options = sipd_plan_keeper_options (self->settings, server, SIPD_FLOW_KEEPER_BACKOFF_PROBE, name);
  options.failures = failed_attempts;
  options.below_priority = below;
  probe = sipd_flow_keeper_new (self->context->stack, self->context->resolver, &options, &probe_callbacks, self);
  reason = g_strdup_printf ("%s: on a target of priority %u, its better targets are probed", server->host, below);
  probe_log (self, G_LOG_LEVEL_MESSAGE, "%s", reason);
  self->below = below;
  set_state (self, SIPD_TARGET_PROBE_STATE_WATCHING, probe, reason);
  sipd_flow_keeper_start (probe);
}

SipdTargetProbeState
sipd_target_probe_get_state (SipdTargetProbe *self)
{
  return self->state;
}

void
sipd_target_probe_network_gained (SipdTargetProbe *self, SipdNetmon *netmon)
{
  if (self->probe != NULL)
    sipd_flow_keeper_network_gained (self->probe, netmon);
}

void
sipd_target_probe_targets_changed (SipdTargetProbe *self,
                                   const char *host,
                                   guint16 port,
                                   KlTransport transport,
                                   const KlSipTargets *targets)
{
  if (self->probe != NULL)
    sipd_flow_keeper_targets_changed (self->probe, host, port, transport, targets);
}
