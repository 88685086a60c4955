/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The targets of one server (RFC 3263: SRV by priority and weight, then
 * addresses) in the order a flow keeper tries them, and which of them failed
 * lately: a target whose flow failed, or that answered REGISTER with 503, 500
 * or 408, is passed over for its Retry-After or SIPD_TARGET_WALK_SKIP_S while
 * another target is there to try (RFC 3263 §4.3). */
#pragma once

#include "kl-clock.h"
#include "kl-dns-sip.h"

G_BEGIN_DECLS

/* RFC 5626's base back-off, scaled as the keeper's timers are */
#define SIPD_TARGET_WALK_SKIP_S 30

typedef struct _SipdTargetWalk SipdTargetWalk;

SipdTargetWalk *sipd_target_walk_new (KlClock *clock, guint scale_percent);
void sipd_target_walk_free (SipdTargetWalk *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdTargetWalk, sipd_target_walk_free)

/* New targets from a lookup: the walk starts again at the first not passed
 * over, unless they are the ones it has. */
void sipd_target_walk_set (SipdTargetWalk *self, const KlSipTargets *targets);
gboolean sipd_target_walk_is_empty (SipdTargetWalk *self);
/* the target to try now; NULL while no targets are known */
const KlSipTarget *sipd_target_walk_current (SipdTargetWalk *self);
/* The current target failed: passed over for RETRY_AFTER_S, or the default. */
void sipd_target_walk_fail (SipdTargetWalk *self, guint retry_after_s);
/* On to the next target; FALSE when the current one was the last. */
gboolean sipd_target_walk_next (SipdTargetWalk *self);
/* Back to the first target not passed over, or the first of all. */
void sipd_target_walk_restart (SipdTargetWalk *self);
/* Only targets of an SRV priority below PRIORITY (a lower number) are
 * walked: a probe of the targets preferred to the one in use. */
void sipd_target_walk_keep_below (SipdTargetWalk *self, guint16 priority);
/* The walk starts at TARGET, once, when the targets have it: a return to a
 * target a probe found alive, which is not passed over whatever it did before. */
void sipd_target_walk_start_at (SipdTargetWalk *self, const KlSipTarget *target);
/* the targets walked, or NULL before a lookup gave some */
const KlSipTargets *sipd_target_walk_get_targets (SipdTargetWalk *self);

G_END_DECLS
