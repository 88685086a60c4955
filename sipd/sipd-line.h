/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One phone line: its settings, its D-Bus object, and where it is (see
 * sipd-line-state.h). It decides which servers to use from which primaries
 * failed (sipd-failover.h), registers and subscribes there through a plan
 * (sipd-plan.h), moves make before break when that changes, probes failed
 * primaries, keeps the dual flow's second registration, and hands what old
 * plans left behind to its leftovers (sipd-leftovers.h). */
#pragma once

#include <gio/gio.h>

#include "kl-config.h"
#include "kl-dbus.h"
#include "sipd-line-path.h"
#include "sipd-line-state.h"
#include "sipd-netmon.h"
#include "sipd-plan.h"

G_BEGIN_DECLS

typedef struct _SipdLine SipdLine;

SipdLine *sipd_line_new (guint index, SipdLineContext *context);
void sipd_line_free (SipdLine *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdLine, sipd_line_free)

guint sipd_line_get_index (SipdLine *self);
const char *sipd_line_get_object_path (SipdLine *self);
KlObjectSkeleton *sipd_line_get_object (SipdLine *self);
SipdLineState sipd_line_get_state (SipdLine *self);
const SipdLineSettings *sipd_line_get_settings (SipdLine *self);
KlSipLine1 *sipd_line_get_iface (SipdLine *self);
/* The plan's flow, or while it moves the registered plan it is leaving, or
 * the dual flow's second one; a suspect flow only when nothing else is up,
 * and never the one to avoid (it left a request unanswered). FALSE when no
 * flow is up: the line's changed hook tells when to ask again. */
gboolean sipd_line_get_request_path (SipdLine *self, SipdFlow *avoid, SipdLinePath *ret_path);
/* A server failed a request sent over the flow: 503 or 408, or no answer by
 * Timer B while the flow lives. The primary behind it fails over as the table
 * says; TRUE when the line moves. */
gboolean sipd_line_server_failed (SipdLine *self, SipdFlow *flow, const char *reason);
/* Whether the line is on its way to a flow: FALSE while it waits out a
 * back-off or a retry timer, or is disabled. */
gboolean sipd_line_is_heading_for_a_flow (SipdLine *self);
/* Whether the line was registered since its settings last changed. */
gboolean sipd_line_was_registered (SipdLine *self);

void sipd_line_apply_config (SipdLine *self, KlConfig *config);
/* Registers again now, on a new flow if the current one is not active. */
gboolean sipd_line_register (SipdLine *self, GError **error);
void sipd_line_stop (SipdLine *self);
void sipd_line_say_goodbye (SipdLine *self);
gboolean sipd_line_is_quiet (SipdLine *self);
/* Before the manager replaces the stack: let go of everything on it. The next
 * sipd_line_apply_config() starts the line again. */
void sipd_line_detach (SipdLine *self);
gboolean sipd_line_handle_notify (SipdLine *self, SipdFlow *flow, SipdMessage *notify);
/* TRUE when the line's server sent it, over the line's own flow, and the
 * line shows it. */
gboolean sipd_line_show_unsolicited_mwi (SipdLine *self, SipdFlow *flow, SipdMessage *notify);

void sipd_line_network_lost (SipdLine *self);
void sipd_line_network_gained (SipdLine *self, SipdNetmon *netmon);
void sipd_line_targets_changed (SipdLine *self,
                                const char *host,
                                guint16 port,
                                KlTransport transport,
                                const KlSipTargets *targets);
void sipd_line_add_watched_servers (SipdLine *self, GHashTable *seen, GVariantBuilder *servers);

G_END_DECLS
