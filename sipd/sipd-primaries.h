/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line's primary servers: which of them failed, a probe watching each
 * failed one until it answers again, and the failover choice that makes
 * (sipd-failover.h): which servers the line should use now. */
#pragma once

#include "sipd-plan.h"

G_BEGIN_DECLS

typedef struct _SipdPrimaries SipdPrimaries;
/* A failed primary answers its probe again; the choice may have changed. */
typedef void (*SipdPrimaryBackFunc) (const char *host, gpointer user_data);

SipdPrimaries *sipd_primaries_new (SipdLineContext *context,
                                   const SipdLineSettings *settings,
                                   SipdPrimaryBackFunc back,
                                   gpointer user_data);
void sipd_primaries_free (SipdPrimaries *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdPrimaries, sipd_primaries_free)

/* The primary server failed: every role it serves is marked, and it is
 * probed, starting as if already failed_attempts had failed. */
void sipd_primaries_fail (SipdPrimaries *self, const SipdServer *server, guint failed_attempts);
SipdFailoverChoice sipd_primaries_choose (SipdPrimaries *self);
/* The choice if the server failed too; nothing is marked or probed. */
SipdFailoverChoice sipd_primaries_choose_if_failed (SipdPrimaries *self, const SipdServer *server);
/* The primary behind a next hop that the line can fail over from while it
 * uses current; NULL when there is none. */
const SipdServer *sipd_primaries_behind (SipdPrimaries *self,
                                         const SipdFailoverChoice *current,
                                         const SipdServer *next_hop);

/* The primary registrar, when the line uses it, it has a backup, and a
 * refusal with status says it is in trouble (408, 5xx); NULL otherwise. */
const SipdServer *sipd_primaries_refusing (SipdPrimaries *self, const SipdFailoverChoice *current, guint status);

void sipd_primaries_network_gained (SipdPrimaries *self, SipdNetmon *netmon);
void sipd_primaries_targets_changed (SipdPrimaries *self,
                                     const char *host,
                                     guint16 port,
                                     KlTransport transport,
                                     const KlSipTargets *targets);

G_END_DECLS
