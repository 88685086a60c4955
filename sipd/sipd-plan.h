/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plan: what a line holds at the servers of one failover choice — the flow
 * keeper to the next hop that registers the plan's AOR at its registrar, and
 * the subscriptions at its proxy, subscribed over that flow once it is up.
 * A line has one plan in use and, while it moves make before break, the plan
 * it is leaving, held as it is until the new one is up. */
#pragma once

#include "kl-dbus.h"
#include "sipd-events.h"
#include "sipd-flow-keeper.h"
#include "sipd-line-settings.h"

G_BEGIN_DECLS

/* What all lines share; owned by the manager, outlives the lines. */
typedef struct {
  KlClock *clock;
  SipdStack *stack;
  SipdResolver *resolver;
  char *instance_id;
  char *user_agent;
  char *tls_problem; /* why TLS cannot be used, or NULL */
  /* a line's state or flows changed: a new request may find a path now */
  void (*line_changed) (guint line, gpointer user_data);
  gpointer line_changed_data;
} SipdLineContext;

typedef struct _SipdPlan SipdPlan;

typedef struct {
  /* its keeper is up, suspect, down or connecting; called last, so the
   * line may free the plan when it is up or down */
  void (*keeper_changed) (SipdPlan *plan, gpointer user_data);
  /* what Flows shows of its keeper changed */
  void (*flow_changed) (SipdPlan *plan, gpointer user_data);
  /* its proxy keeper (sipd_plan_get_proxy_keeper) is up, suspect, down or
   * connecting; called last, as keeper_changed */
  void (*proxy_changed) (SipdPlan *plan, gpointer user_data);
} SipdPlanCallbacks;

SipdPlan *sipd_plan_new (SipdLineContext *context,
                         KlSipLine1 *iface,
                         const SipdLineSettings *settings,
                         const SipdFailoverChoice *choice,
                         const SipdPlanCallbacks *callbacks,
                         gpointer user_data);
void sipd_plan_free (SipdPlan *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdPlan, sipd_plan_free)

void sipd_plan_start (SipdPlan *self);
/* Starts with the keeper at TARGET of its next hop (see sipd_flow_keeper_start_at). */
void sipd_plan_start_at (SipdPlan *self, const KlSipTarget *target);
void sipd_plan_hold (SipdPlan *self);
void sipd_plan_resume (SipdPlan *self);
void sipd_plan_register_now (SipdPlan *self);

const SipdPlanServers *sipd_plan_get_servers (SipdPlan *self);
const SipdFailoverChoice *sipd_plan_get_choice (SipdPlan *self);
SipdFlowKeeper *sipd_plan_get_keeper (SipdPlan *self);
/* The keeper of the flow to a proxy that is not the registrar, when there is
 * no outbound proxy; NULL otherwise. */
SipdFlowKeeper *sipd_plan_get_proxy_keeper (SipdPlan *self);
/* The keeper of the flow that requests outside the registration (SUBSCRIBE,
 * INVITE, MESSAGE) take: the proxy keeper if there is one, else the keeper. */
SipdFlowKeeper *sipd_plan_get_request_keeper (SipdPlan *self);
SipdRegistration *sipd_plan_get_registration (SipdPlan *self);
gboolean sipd_plan_is_registered (SipdPlan *self);
const char *sipd_plan_get_route (SipdPlan *self);
gboolean sipd_plan_handle_notify (SipdPlan *self, SipdFlow *flow, SipdMessage *notify);
gboolean sipd_plan_show_unsolicited_mwi (SipdPlan *self, SipdFlow *flow, SipdMessage *notify);

void sipd_plan_network_lost (SipdPlan *self);
void sipd_plan_network_gained (SipdPlan *self, SipdNetmon *netmon);
/* TRUE when a keeper of the plan is up and its flow does not go to the
 * first of the new targets (see sipd_flow_keeper_targets_changed). */
gboolean sipd_plan_targets_changed (SipdPlan *self,
                                    const char *host,
                                    guint16 port,
                                    KlTransport transport,
                                    const KlSipTargets *targets);

/* For the leftovers, once the line has left the plan: what it holds at its
 * servers. The plan does nothing more after this. */
SipdRegistration *sipd_plan_steal_registration (SipdPlan *self);
SipdEvents *sipd_plan_steal_events (SipdPlan *self);

/* The dual flow's keeper: reg-id 2 registered through the backup outbound
 * proxy, to where the line would fail over, with the RFC 5626 back-off for
 * a flow while another works (base 90 s). */
SipdFlowKeeper *sipd_plan_new_second_flow (SipdLineContext *context,
                                           const SipdLineSettings *settings,
                                           const SipdFlowKeeperCallbacks *callbacks,
                                           gpointer user_data);

/* What a line's keepers share: server, transport, timers, names. */
SipdFlowKeeperOptions sipd_plan_keeper_options (const SipdLineSettings *settings,
                                                const SipdServer *server,
                                                SipdFlowKeeperBackoff backoff,
                                                const char *name);

G_END_DECLS
