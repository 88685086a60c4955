/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What plans a line has left still hold at their servers — a binding, the
 * subscription dialogs — until it is removed. Over the old plan's flow when it
 * still works (un-REGISTER, un-SUBSCRIBE); when that flow failed, the leftovers
 * are stranded and removed over the line's flow once it works through the same
 * registrar or proxy again (a failback, or a return after a hung server), so
 * that no server holds a second binding or a dead subscription. */
#pragma once

#include "sipd-plan.h"

G_BEGIN_DECLS

#define SIPD_LEFTOVERS_MAX_STRANDED 4 /* plans whose flow failed; the oldest is forgotten */

typedef struct _SipdLeftovers SipdLeftovers;

SipdLeftovers *sipd_leftovers_new (SipdLineContext *context, guint line);
void sipd_leftovers_free (SipdLeftovers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdLeftovers, sipd_leftovers_free)

/* The line moved from old (freed here) to current, which is up: make before break. */
void sipd_leftovers_add_moved (SipdLeftovers *self, SipdPlan *old, SipdPlan *current, gboolean outbound);
/* The line returned from old (freed here) to current, which is up at a better
 * SRV target of the same registrar: another node, whose binding and
 * subscriptions are removed over the old flow. As a move when both flows go to
 * one address (the return ended where it began). */
void sipd_leftovers_add_returned (SipdLeftovers *self, SipdPlan *old, SipdPlan *current, gboolean outbound);
/* The line lets go of plan (freed here): removed where its flow works, forgotten elsewhere. */
void sipd_leftovers_add_dropped (SipdLeftovers *self, SipdPlan *plan);
void sipd_leftovers_add_registration (SipdLeftovers *self, SipdRegistration *registration);
/* current is up: what failed flows left at its registrar and proxy goes now, over its flow. */
void sipd_leftovers_clear_at (SipdLeftovers *self, SipdPlan *current, gboolean outbound);

gboolean sipd_leftovers_handle_notify (SipdLeftovers *self, SipdFlow *flow, SipdMessage *notify);
/* TRUE once every un-REGISTER and un-SUBSCRIBE under way was answered. */
gboolean sipd_leftovers_is_quiet (SipdLeftovers *self);
void sipd_leftovers_forget_stranded (SipdLeftovers *self);
void sipd_leftovers_clear (SipdLeftovers *self);

G_END_DECLS
