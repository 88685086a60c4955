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
  if (self->standby != NULL)
    sipd_flow_keeper_network_gained (self->standby, netmon);
  sipd_plan_network_gained (self->plan, netmon);
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
  if (self->standby != NULL)
    sipd_flow_keeper_targets_changed (self->standby, host, port, transport, targets);
  if (!sipd_plan_targets_changed (self->plan, host, port, transport, targets) ||
      (self->state != SIPD_LINE_STATE_REGISTERED && self->state != SIPD_LINE_STATE_ON_BACKUP))
    return;
  reason = g_strdup_printf ("%s has new addresses in DNS", host);
  sipd_line_transition (self, SIPD_LINE_EVENT_DNS_MOVED, reason);
  self->previous = g_steal_pointer (&self->plan);
  sipd_plan_hold (self->previous);
  sipd_line_adopt_plan (self, sipd_plan_get_choice (self->previous));
}

void
sipd_line_add_watched_servers (SipdLine *self, GHashTable *seen, GVariantBuilder *servers)
{
  if (self->settings != NULL)
    sipd_line_settings_add_watched_servers (self->settings, seen, servers);
}
