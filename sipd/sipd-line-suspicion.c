/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line whose primary's flow turns suspect: the backup registered now,
 * make before break, while the primary is held; then withdrawn when the
 * primary answers, or the move completed when its flow fails. */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line-private.h"

#include "sipd-line-iface.h"

/* The flow to a primary with a backup is suspect: the line registers with
 * the backup now, make before break, and holds the primary until its flow
 * answers (the backup is withdrawn) or fails (the move completes). Not where
 * the backup plan would replace the primary's own binding (same registrar
 * and AOR with outbound): withdrawing it would remove both. */
void
sipd_line_plan_suspect (SipdLine *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_keeper (self->plan);
  SipdFlow *flow = sipd_flow_keeper_get_flow (keeper);
  const SipdServer *primary;
  SipdFailoverChoice choice;
  g_autoptr (SipdPlanServers) servers = NULL;
  const SipdPlanServers *now = sipd_plan_get_servers (self->plan);
  g_autofree char *reason = NULL;

  if (self->state != SIPD_LINE_STATE_REGISTERED || self->previous != NULL || flow == NULL ||
      !sipd_flow_is_suspect (flow))
    return;
  primary = sipd_primaries_behind (self->primaries, sipd_line_current_choice (self), sipd_flow_keeper_get_server (keeper));
  if (primary == NULL)
    return;
  choice = sipd_primaries_choose_if_failed (self->primaries, primary);
  servers = sipd_plan_servers_new (self->settings, &choice);
  if (sipd_failover_choice_equal (&choice, sipd_line_current_choice (self)) ||
      (g_str_equal (servers->registrar_uri, now->registrar_uri) && g_str_equal (servers->aor, now->aor)))
    return;
  reason = g_strdup_printf ("the flow to %s is suspect", primary->host);
  sipd_line_transition (self, SIPD_LINE_EVENT_PRIMARY_SUSPECT, reason);
  sipd_line_move_to (self, &choice);
}

/* The suspect primary answered within its deadline: the line stays, and
 * what the backup holds (binding, subscriptions) is removed. */
void
sipd_line_suspicion_cleared (SipdLine *self)
{
  self->suspicions_cleared++;
  kl_sip_line1_set_suspicions_cleared (self->iface, self->suspicions_cleared);
  sipd_leftovers_add_dropped (self->leftovers, g_steal_pointer (&self->plan));
  self->plan = g_steal_pointer (&self->previous);
  sipd_line_iface_show_plan (self->iface, self->plan);
  sipd_plan_resume (self->plan);
  sipd_line_transition (self, SIPD_LINE_EVENT_SUSPICION_CLEARED, "the suspect primary answered: the backup is withdrawn");
  sipd_line_update_flows (self);
}

/* The suspect primary's flow failed: the failover counts now, and completes
 * at once if the backup is registered already. */
void
sipd_line_suspicion_confirmed (SipdLine *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_keeper (self->previous);
  const SipdServer *server = sipd_flow_keeper_get_server (keeper);
  const char *reason = sipd_flow_keeper_get_reason (keeper);
  g_autofree char *failover = g_strdup_printf ("%s: %s", server->host, reason ? reason : "failed");
  g_autofree char *error = g_strdup_printf ("flow to %s failed: %s", server->host, reason ? reason : "failed");

  sipd_line_set_last_error (self, error);
  sipd_primaries_fail (self->primaries, server, self->failback_failures);
  sipd_line_count_failover (self, failover);
  sipd_line_transition (self, SIPD_LINE_EVENT_PRIMARY_FAILED, failover);
  if (sipd_plan_is_registered (self->plan)) {
    sipd_line_plan_up (self);
    sipd_plan_resume (self->plan); /* its subscriptions show again: the primary's ended after them */
  }
}
