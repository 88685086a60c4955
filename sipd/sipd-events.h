/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line's subscriptions — MWI for its own AOR, BLF for each monitored
 * extension — and what their NOTIFYs say, published on the line's D-Bus object. */
#pragma once

#include "kl-dbus.h"
#include "sipd-line-settings.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdEvents SipdEvents;

SipdEvents *sipd_events_new (SipdStack *stack,
                             KlSipLine1 *iface,
                             const SipdLineSettings *settings,
                             const SipdPlanServers *plan,
                             const char *user_agent);
void sipd_events_free (SipdEvents *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdEvents, sipd_events_free)

void sipd_events_set_route (SipdEvents *self, const char *route);
void sipd_events_subscribe (SipdEvents *self, SipdFlow *flow);
void sipd_events_stop (SipdEvents *self);
void sipd_events_unsubscribe (SipdEvents *self);
gboolean sipd_events_end_over (SipdEvents *self, SipdFlow *flow, const char *gone_host, const char *route);
gboolean sipd_events_is_done (SipdEvents *self);
void sipd_events_publish (SipdEvents *self);
gboolean sipd_events_handle_notify (SipdEvents *self, SipdFlow *flow, SipdMessage *notify);
gboolean sipd_events_show_unsolicited_mwi (SipdEvents *self, SipdMessage *notify);
SipdFlow *sipd_events_get_flow (SipdEvents *self);

G_END_DECLS
