/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cheap, repeated check that a failed primary server answers again: a flow to
 * it (TCP connect and TLS handshake where they apply) and a keep-alive over it
 * (CRLF ping or STUN). Every 5 to 10 s with jitter, backing off while the server
 * stays dead, so that failback starts within seconds of its return. The flow it
 * leaves active is the one the line moves back to. */
#pragma once

#include "sipd-line-settings.h"
#include "sipd-resolver.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdProbe SipdProbe;
typedef void (*SipdProbeFunc) (SipdProbe *probe, gpointer user_data);

SipdProbe *sipd_probe_new (SipdStack *stack,
                           SipdResolver *resolver,
                           const SipdServer *server,
                           KlTransport transport,
                           guint scale_percent,
                           guint failed_attempts,
                           SipdProbeFunc alive,
                           gpointer user_data);
void sipd_probe_free (SipdProbe *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdProbe, sipd_probe_free)

const SipdServer *sipd_probe_get_server (SipdProbe *self);
guint sipd_probe_get_attempts (SipdProbe *self);
/* The network changed: an attempt now, the back-off forgotten. */
void sipd_probe_attempt_now (SipdProbe *self);
gint64 sipd_probe_delay_ms (KlClock *clock, guint failed_attempts, guint scale_percent);

G_END_DECLS
