/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-plan"

#include "sipd-plan.h"

struct _SipdPlan {
  SipdFailoverChoice choice;
  SipdPlanServers *servers;
  SipdFlowKeeper *keeper;
  SipdFlowKeeper *proxy_keeper; /* the flow to a proxy that is not the registrar, or NULL */
  SipdEvents *events;
  gboolean held;
  SipdPlanCallbacks callbacks;
  gpointer user_data;
};

/* Subscriptions ride the plan's flow to its proxy: new dialogs once it is
 * up, forgotten when it failed. A plan being left subscribes nothing new. */
static void
follow_keeper (SipdPlan *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_request_keeper (self);
  SipdFlow *flow = sipd_flow_keeper_get_flow (keeper);
  SipdFlow *subscribed = self->events ? sipd_events_get_flow (self->events) : NULL;

  if (self->events == NULL)
    return;
  if (sipd_flow_keeper_is_up (keeper)) {
    if (!self->held && flow != NULL && subscribed != flow) {
      sipd_events_set_route (self->events, sipd_plan_get_route (self));
      sipd_events_subscribe (self->events, flow);
    }
  } else if (subscribed != NULL && sipd_flow_get_state (subscribed) != SIPD_FLOW_STATE_ACTIVE) {
    sipd_events_stop (self->events);
  }
}

static void
on_keeper_state_changed (SipdFlowKeeper *keeper, gpointer user_data)
{
  SipdPlan *self = user_data;

  follow_keeper (self);
  self->callbacks.keeper_changed (self, self->user_data);
}

static void
on_keeper_flow_changed (SipdFlowKeeper *keeper, gpointer user_data)
{
  SipdPlan *self = user_data;

  self->callbacks.flow_changed (self, self->user_data);
}

static const SipdFlowKeeperCallbacks keeper_callbacks = { on_keeper_state_changed, on_keeper_flow_changed };

static void
on_proxy_keeper_state_changed (SipdFlowKeeper *keeper, gpointer user_data)
{
  SipdPlan *self = user_data;

  follow_keeper (self);
  self->callbacks.proxy_changed (self, self->user_data);
}

static const SipdFlowKeeperCallbacks proxy_keeper_callbacks = { on_proxy_keeper_state_changed,
                                                                on_keeper_flow_changed };

/* A proxy that is not the registrar is a next hop of its own (issue 13):
 * no registration over its flow, which SIP OPTIONS keep alive, any answer
 * alive, as a server without RFC 5626 needs. */
static SipdFlowKeeper *
new_proxy_keeper (SipdPlan *self, SipdLineContext *context, const SipdLineSettings *settings)
{
  g_autofree char *name = g_strdup_printf ("line %u proxy", settings->index);
  SipdFlowKeeperOptions options = sipd_plan_keeper_options (settings, &self->servers->proxy_hop,
                                                            settings->outbound ? SIPD_FLOW_KEEPER_BACKOFF_OUTBOUND
                                                                               : SIPD_FLOW_KEEPER_BACKOFF_FIXED,
                                                            name);

  return sipd_flow_keeper_new (context->stack, context->resolver, &options, &proxy_keeper_callbacks, self);
}

SipdFlowKeeperOptions
sipd_plan_keeper_options (const SipdLineSettings *settings,
                          const SipdServer *server,
                          SipdFlowKeeperBackoff backoff,
                          const char *name)
{
  return (SipdFlowKeeperOptions) {
    .server = server,
    .transport = settings->transport,
    .backoff = backoff,
    .fixed_retry_s = settings->timeout_retry_s,
    .rejected_retry_s = settings->retry_s,
    .keepalive_s = settings->keepalive_s,
    .suspect_floor_ms = settings->suspect_floor_ms,
    .options_keepalive_s = settings->options_keepalive_s,
    .keepalive_without_outbound = settings->keepalive_without_outbound,
    .scale_percent = settings->timer_scale_percent,
    .line = settings->index,
    .name = name,
  };
}

/* The registration of a plan's AOR with reg-id (1, or 2 for the dual flow). */
static SipdRegistrationConfig
registration_config (SipdLineContext *context,
                     const SipdLineSettings *settings,
                     const SipdPlanServers *servers,
                     guint reg_id)
{
  return (SipdRegistrationConfig) {
    .aor = servers->aor,
    .registrar_uri = servers->registrar_uri,
    .route = servers->route,
    .user = settings->user,
    .display_name = settings->display_name,
    .auth_user = settings->auth_user,
    .password = settings->password,
    .instance_id = settings->outbound ? context->instance_id : NULL,
    .reg_id = settings->outbound ? reg_id : 0,
    .outbound = settings->outbound,
    .expires_s = settings->expires_s,
    .renewal_s = settings->renewal_s,
    .user_agent = context->user_agent,
  };
}

SipdPlan *
sipd_plan_new (SipdLineContext *context,
               KlSipLine1 *iface,
               const SipdLineSettings *settings,
               const SipdFailoverChoice *choice,
               const SipdPlanCallbacks *callbacks,
               gpointer user_data)
{
  SipdPlan *self = g_new0 (SipdPlan, 1);
  g_autofree char *name = g_strdup_printf ("line %u", settings->index);
  SipdRegistrationConfig registration;
  SipdFlowKeeperOptions options;

  self->choice = *choice;
  self->servers = sipd_plan_servers_new (settings, choice);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  registration = registration_config (context, settings, self->servers, 1);
  options = sipd_plan_keeper_options (settings, &self->servers->next_hop,
                                      settings->outbound ? SIPD_FLOW_KEEPER_BACKOFF_OUTBOUND
                                                         : SIPD_FLOW_KEEPER_BACKOFF_FIXED,
                                      name);
  options.registration = &registration;
  self->keeper = sipd_flow_keeper_new (context->stack, context->resolver, &options, &keeper_callbacks, self);
  if (self->servers->proxy_hop.host != NULL)
    self->proxy_keeper = new_proxy_keeper (self, context, settings);
  self->events = sipd_events_new (context->stack, iface, settings, self->servers, context->user_agent);
  return self;
}

SipdFlowKeeper *
sipd_plan_new_second_flow (SipdLineContext *context,
                           const SipdLineSettings *settings,
                           const SipdFlowKeeperCallbacks *callbacks,
                           gpointer user_data)
{
  gboolean failed[SIPD_N_ROLES] = { [SIPD_ROLE_OUTBOUND_PROXY] = TRUE };
  SipdFailoverChoice choice = sipd_failover_choose (&settings->failover, failed);
  g_autoptr (SipdPlanServers) servers = sipd_plan_servers_new (settings, &choice);
  SipdRegistrationConfig registration = registration_config (context, settings, servers, 2);
  g_autofree char *name = g_strdup_printf ("line %u second flow", settings->index);
  SipdFlowKeeperOptions options = sipd_plan_keeper_options (settings, &servers->next_hop,
                                                            SIPD_FLOW_KEEPER_BACKOFF_SECOND_FLOW, name);

  options.registration = &registration;
  return sipd_flow_keeper_new (context->stack, context->resolver, &options, callbacks, user_data);
}

void
sipd_plan_free (SipdPlan *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->keeper, sipd_flow_keeper_free);
  g_clear_pointer (&self->proxy_keeper, sipd_flow_keeper_free);
  g_clear_pointer (&self->events, sipd_events_free);
  sipd_plan_servers_free (self->servers);
  g_free (self);
}

void
sipd_plan_start (SipdPlan *self)
{
  if (self->proxy_keeper != NULL)
    sipd_flow_keeper_start (self->proxy_keeper);
  sipd_flow_keeper_start (self->keeper);
}

void
sipd_plan_start_at (SipdPlan *self, const KlSipTarget *target)
{
  sipd_flow_keeper_start_at (self->keeper, target);
}

void
sipd_plan_hold (SipdPlan *self)
{
  self->held = TRUE;
  sipd_flow_keeper_hold (self->keeper);
  if (self->proxy_keeper != NULL)
    sipd_flow_keeper_hold (self->proxy_keeper);
}

/* The line returns to the plan: its subscriptions show on D-Bus again, and
 * what it lacks is made again. */
void
sipd_plan_resume (SipdPlan *self)
{
  self->held = FALSE;
  sipd_events_publish (self->events);
  follow_keeper (self);
  if (self->proxy_keeper != NULL)
    sipd_flow_keeper_resume (self->proxy_keeper);
  sipd_flow_keeper_resume (self->keeper);
}

void
sipd_plan_register_now (SipdPlan *self)
{
  sipd_flow_keeper_register_now (self->keeper);
}

const SipdPlanServers *
sipd_plan_get_servers (SipdPlan *self)
{
  return self->servers;
}

const SipdFailoverChoice *
sipd_plan_get_choice (SipdPlan *self)
{
  return &self->choice;
}

SipdFlowKeeper *
sipd_plan_get_keeper (SipdPlan *self)
{
  return self->keeper;
}

SipdFlowKeeper *
sipd_plan_get_proxy_keeper (SipdPlan *self)
{
  return self->proxy_keeper;
}

SipdFlowKeeper *
sipd_plan_get_request_keeper (SipdPlan *self)
{
  return self->proxy_keeper ? self->proxy_keeper : self->keeper;
}

SipdRegistration *
sipd_plan_get_registration (SipdPlan *self)
{
  return sipd_flow_keeper_get_registration (self->keeper);
}

/* The Route of requests outside a dialog: the outbound proxy's, then the
 * registrar's Service-Route once it gave one; none when they go to a proxy
 * of their own, which the administrator put there to route them. */
const char *
sipd_plan_get_route (SipdPlan *self)
{
  SipdRegistration *registration = sipd_plan_get_registration (self);

  return registration && self->proxy_keeper == NULL ? sipd_registration_get_preloaded_route (registration) : self->servers->route;
}

gboolean
sipd_plan_is_registered (SipdPlan *self)
{
  return sipd_flow_keeper_is_up (self->keeper);
}

gboolean
sipd_plan_handle_notify (SipdPlan *self, SipdFlow *flow, SipdMessage *notify)
{
  return self->events != NULL && sipd_events_handle_notify (self->events, flow, notify);
}

/* An unsolicited MWI NOTIFY counts only over the flow this plan registered
 * or subscribed over: its registrar or proxy, or the outbound proxy to them. */
gboolean
sipd_plan_show_unsolicited_mwi (SipdPlan *self, SipdFlow *flow, SipdMessage *notify)
{
  if (self->events == NULL || flow == NULL ||
      (flow != sipd_flow_keeper_get_flow (self->keeper) &&
       flow != sipd_flow_keeper_get_flow (sipd_plan_get_request_keeper (self)) &&
       flow != sipd_events_get_flow (self->events)))
    return FALSE;
  return sipd_events_show_unsolicited_mwi (self->events, notify);
}

SipdRegistration *
sipd_plan_steal_registration (SipdPlan *self)
{
  self->held = TRUE;
  return sipd_flow_keeper_steal_registration (self->keeper);
}

SipdEvents *
sipd_plan_steal_events (SipdPlan *self)
{
  return g_steal_pointer (&self->events);
}

/* The network, for both keepers */

void
sipd_plan_network_lost (SipdPlan *self)
{
  sipd_flow_keeper_network_lost (self->keeper);
  if (self->proxy_keeper != NULL)
    sipd_flow_keeper_network_lost (self->proxy_keeper);
}

void
sipd_plan_network_gained (SipdPlan *self, SipdNetmon *netmon)
{
  sipd_flow_keeper_network_gained (self->keeper, netmon);
  if (self->proxy_keeper != NULL)
    sipd_flow_keeper_network_gained (self->proxy_keeper, netmon);
}

gboolean
sipd_plan_targets_changed (SipdPlan *self,
                           const char *host,
                           guint16 port,
                           KlTransport transport,
                           const KlSipTargets *targets)
{
  gboolean moved = sipd_flow_keeper_targets_changed (self->keeper, host, port, transport, targets);

  if (self->proxy_keeper != NULL)
    moved = sipd_flow_keeper_targets_changed (self->proxy_keeper, host, port, transport, targets) || moved;
  return moved;
}
