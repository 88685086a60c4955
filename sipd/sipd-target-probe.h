/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SRV targets a line passed over, watched for its return. While the
 * line's keeper is up on a target of its server with a worse SRV priority
 * (a higher number) than the server's best, a probe — a flow keeper with no
 * registration: connect, CRLF ping and one OPTIONS, any answer alive; 5–10 s
 * apart with jitter, doubling while they stay dead — walks the targets of
 * better priorities, best first. When one answers, the line is told, and
 * returns to it make before break. Targets of one priority are equals
 * (RFC 2782: their weights share the load, they do not prefer): the line
 * does not move among them. */
#pragma once

#include "sipd-plan.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_TARGET_PROBE_STATE_IDLE,     /* nothing to watch: the keeper is not up, or on its server's best priority */
  SIPD_TARGET_PROBE_STATE_WATCHING, /* a probe walks the targets better than the keeper's */
} SipdTargetProbeState;

typedef struct _SipdTargetProbe SipdTargetProbe;
/* A target of host better than the keeper's answers the probe. */
typedef void (*SipdTargetBackFunc) (const char *host, const KlSipTarget *target, gpointer user_data);

SipdTargetProbe *sipd_target_probe_new (SipdLineContext *context,
                                        const SipdLineSettings *settings,
                                        SipdTargetBackFunc back,
                                        gpointer user_data);
void sipd_target_probe_free (SipdTargetProbe *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdTargetProbe, sipd_target_probe_free)

/* The keeper the line settled on, or NULL while it moves: watched as above.
 * A new probe starts as if failed_attempts had failed already. */
void sipd_target_probe_follow (SipdTargetProbe *self, SipdFlowKeeper *keeper, guint failed_attempts);
SipdTargetProbeState sipd_target_probe_get_state (SipdTargetProbe *self);
const char *sipd_target_probe_state_to_string (SipdTargetProbeState state);

void sipd_target_probe_network_gained (SipdTargetProbe *self, SipdNetmon *netmon);
void sipd_target_probe_targets_changed (SipdTargetProbe *self,
                                        const char *host,
                                        guint16 port,
                                        KlTransport transport,
                                        const KlSipTargets *targets);

G_END_DECLS
