/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-flow-keeper"

#include "sipd-flow-keeper-private.h"

/* Properties */

SipdFlowKeeperState
sipd_flow_keeper_get_state (SipdFlowKeeper *self)
{
  return self->state;
}

gboolean
sipd_flow_keeper_is_up (SipdFlowKeeper *self)
{
  return self->state == SIPD_FLOW_KEEPER_STATE_UP || self->state == SIPD_FLOW_KEEPER_STATE_SUSPECT;
}

const char *
sipd_flow_keeper_get_reason (SipdFlowKeeper *self)
{
  return self->state == SIPD_FLOW_KEEPER_STATE_DOWN ? self->reason : NULL;
}

guint
sipd_flow_keeper_get_failure_status (SipdFlowKeeper *self)
{
  return self->failure_status;
}

gboolean
sipd_flow_keeper_will_retry (SipdFlowKeeper *self)
{
  return !self->unusable;
}

gint64
sipd_flow_keeper_get_retry_delay_ms (SipdFlowKeeper *self)
{
  if (!kl_timer_is_active (self->retry_timer))
    return -1;
  return kl_timer_get_deadline_ms (self->retry_timer) - kl_clock_now_ms (sipd_stack_get_clock (self->stack));
}

SipdFlow *
sipd_flow_keeper_get_flow (SipdFlowKeeper *self)
{
  if (self->flow == NULL || sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE)
    return NULL;
  return self->flow;
}

SipdRegistration *
sipd_flow_keeper_get_registration (SipdFlowKeeper *self)
{
  return self->registration;
}

const SipdServer *
sipd_flow_keeper_get_server (SipdFlowKeeper *self)
{
  return &self->server;
}

const KlSipTargets *
sipd_flow_keeper_get_targets (SipdFlowKeeper *self)
{
  return sipd_target_walk_get_targets (self->targets);
}

const KlSipTarget *
sipd_flow_keeper_get_target (SipdFlowKeeper *self)
{
  const KlSipTargets *targets = sipd_flow_keeper_get_targets (self);
  GInetSocketAddress *remote = self->flow ? sipd_flow_get_remote (self->flow) : NULL;

  for (guint i = 0; remote != NULL && targets != NULL && i < targets->targets->len; i++) {
    const KlSipTarget *target = g_ptr_array_index (targets->targets, i);

    if (g_inet_socket_address_get_port (remote) == target->port &&
        g_inet_address_equal (g_inet_socket_address_get_address (remote), target->address))
      return target;
  }
  return NULL;
}

gboolean
sipd_flow_keeper_view (SipdFlowKeeper *self, SipdFlowKeeperView *ret_view)
{
  SipdFlowKeeperView view = {
    .transport = self->transport,
    .rtt_ms = -1,
    .failures = self->flow_failures,
    .last_failure = self->last_failure ? self->last_failure : "",
  };

  if (self->flow != NULL) {
    gboolean active = sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE;

    view.local = sipd_socket_address_to_string (sipd_flow_get_local (self->flow));
    view.remote = sipd_socket_address_to_string (sipd_flow_get_remote (self->flow));
    view.state = active && self->state == SIPD_FLOW_KEEPER_STATE_SUSPECT
                   ? "suspect"
                   : sipd_flow_state_to_string (sipd_flow_get_state (self->flow));
    self->shown_rtt_ms = sipd_flow_get_rtt_ms (self->flow);
    view.rtt_ms = (gint32) self->shown_rtt_ms;
    view.keepalive_s = sipd_flow_get_keepalive_s (self->flow);
    if (self->options != NULL && self->backoff != SIPD_FLOW_KEEPER_BACKOFF_PROBE &&
        (view.keepalive_s == 0 || self->options_keepalive_s < view.keepalive_s))
      view.keepalive_s = self->options_keepalive_s; /* SIP OPTIONS keep it alive, or more often */
  } else if (self->state == SIPD_FLOW_KEEPER_STATE_DOWN && self->failure_status == 0 &&
             kl_timer_is_active (self->retry_timer)) {
    view.local = g_strdup ("");
    view.remote = sipd_format_host_port (self->server.host, self->server.port);
    view.state = "backoff";
  } else {
    return FALSE;
  }
  *ret_view = view;
  return TRUE;
}

void
sipd_flow_keeper_view_clear (SipdFlowKeeperView *view)
{
  g_clear_pointer (&view->local, g_free);
  g_clear_pointer (&view->remote, g_free);
}
