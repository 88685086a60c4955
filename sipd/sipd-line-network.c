/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line-private.h"

/* The network */

void
sipd_line_network_lost (SipdLine *self)
{
  if (self->plan != NULL)
    sipd_plan_network_lost (self->plan);
  if (self->standby != NULL)
    sipd_flow_keeper_network_lost (self->standby);
}

void
sipd_line_network_gained (SipdLine *self, SipdNetmon *netmon)
{
  if (self->settings == NULL)
    return;
  sipd_primaries_network_gained (self->primaries, netmon);
  sipd_target_probe_network_gained (self->targets, netmon);
  if (self->standby != NULL)
    sipd_flow_keeper_network_gained (self->standby, netmon);
  sipd_plan_network_gained (self->plan, netmon);
}

static gboolean
is_settled (SipdLine *self)
{
  return self->previous == NULL &&
         (self->state == SIPD_LINE_STATE_REGISTERED || self->state == SIPD_LINE_STATE_ON_BACKUP);
}

/* To a new plan for the choice the line has, make before break: the same
 * servers, another target of its next hop. The plan it leaves is held until
 * the new one is up, and is held before the line says it moves, so that its
 * State stays "registered" throughout. */
static void
move_within (SipdLine *self, SipdLineEvent event, const char *reason, const KlSipTarget *first)
{
  self->previous = g_steal_pointer (&self->plan);
  sipd_plan_hold (self->previous);
  sipd_line_transition (self, event, reason);
  sipd_line_adopt_plan (self, sipd_plan_get_choice (self->previous), first);
}

/* netmond resolved a server again and the answer changed: a line registered
 * through it moves its flow, registration and subscriptions to the new first
 * target, make before break. One on its way elsewhere follows the new answer
 * with its next flow. */
void
sipd_line_targets_changed (SipdLine *self,
                           const char *host,
                           guint16 port,
                           KlTransport transport,
                           const KlSipTargets *targets)
{
  g_autofree char *reason = NULL;

  if (self->plan == NULL)
    return;
  sipd_primaries_targets_changed (self->primaries, host, port, transport, targets);
  sipd_target_probe_targets_changed (self->targets, host, port, transport, targets);
  if (self->standby != NULL)
    sipd_flow_keeper_targets_changed (self->standby, host, port, transport, targets);
  if (!sipd_plan_targets_changed (self->plan, host, port, transport, targets) ||
      (self->state != SIPD_LINE_STATE_REGISTERED && self->state != SIPD_LINE_STATE_ON_BACKUP)) {
    sipd_line_follow_targets (self); /* the priorities may be others now */
    return;
  }
  reason = g_strdup_printf ("%s has new addresses in DNS", host);
  move_within (self, SIPD_LINE_EVENT_DNS_MOVED, reason, NULL);
}

/* Better SRV targets */

void
sipd_line_follow_targets (SipdLine *self)
{
  gboolean settled = self->plan != NULL && is_settled (self);

  if (self->targets == NULL)
    return;
  sipd_target_probe_follow (self->targets, settled ? sipd_plan_get_keeper (self->plan) : NULL, self->returns);
  if (settled && sipd_target_probe_get_state (self->targets) == SIPD_TARGET_PROBE_STATE_IDLE)
    self->returns = 0; /* on its server's best: the next return's probe starts afresh */
}

/* A target of the server with a better priority than the one in use answers
 * its probe: the line returns to it as it follows DNS, make before break. The
 * new plan's keeper starts at that target, and the binding at the one the
 * line leaves goes once the new one is up (sipd_leftovers_add_returned). */
void
sipd_line_target_back (const char *host, const KlSipTarget *target, gpointer user_data)
{
  SipdLine *self = user_data;
  g_autofree char *address = g_inet_address_to_string (target->address);
  g_autofree char *reason = g_strdup_printf ("%s: its preferred target %s:%u answers again", host, address,
                                             target->port);

  if (self->plan == NULL || !is_settled (self))
    return;
  self->returns++;
  move_within (self, SIPD_LINE_EVENT_TARGET_BACK, reason, target);
}

void
sipd_line_add_watched_servers (SipdLine *self, GHashTable *seen, GVariantBuilder *servers)
{
  if (self->settings != NULL)
    sipd_line_settings_add_watched_servers (self->settings, seen, servers);
}
