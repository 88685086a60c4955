/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cheap reachability probes of SIP server targets: a TCP connect for TCP and
 * TLS targets (the handshake proves the port listens; nothing is sent), a SIP
 * OPTIONS for UDP targets (any response counts). A reachable target is probed
 * every NETMOND_PROBE_INTERVAL_S; a failing one after 5 s, 10 s, … up to
 * NETMOND_PROBE_MAX_BACKOFF_S. With hysteresis: a target is unreachable only
 * after NETMOND_PROBE_FAILURE_THRESHOLD failures in a row, reachable after
 * NETMOND_PROBE_SUCCESS_THRESHOLD answered probes in a row. All intervals
 * scale with the timer-scale percentage. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"
#include "kl-dns-sip.h"

G_BEGIN_DECLS

#define NETMOND_PROBE_INTERVAL_S 60
#define NETMOND_PROBE_BACKOFF_MIN_S 5
#define NETMOND_PROBE_MAX_BACKOFF_S 300
#define NETMOND_PROBE_TIMEOUT_MS 3000
#define NETMOND_PROBE_FAILURE_THRESHOLD 2
#define NETMOND_PROBE_SUCCESS_THRESHOLD 1

typedef enum {
  NETMOND_PROBE_STATE_UNKNOWN,
  NETMOND_PROBE_STATE_REACHABLE,
  NETMOND_PROBE_STATE_UNREACHABLE,
} NetmondProbeState;

typedef struct {
  GInetSocketAddress *address;
  KlTransport transport;
  NetmondProbeState state;
  char *reason;
  gint32 rtt_ms; /* of the last answered probe as of the last change of state or reason; -1 before */
} NetmondProbe;

typedef struct _NetmondProbes NetmondProbes;
/* A probe's state, reason or round trip changed. */
typedef void (*NetmondProbesChangedFunc) (NetmondProbes *probes, gpointer user_data);

NetmondProbes *netmond_probes_new (KlClock *clock, guint scale_percent, NetmondProbesChangedFunc changed,
                                   gpointer user_data);
void netmond_probes_free (NetmondProbes *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondProbes, netmond_probes_free)

typedef struct {
  GInetAddress *address;
  guint16 port;
  KlTransport transport;
} NetmondProbeTarget;

/* The targets to probe: new ones are probed at once, the others keep their
 * state and schedule, the rest stop. */
void netmond_probes_set_targets (NetmondProbes *self, const NetmondProbeTarget *targets, guint n_targets);
/* Every target is probed now, its back-off forgotten: the network changed. */
void netmond_probes_probe_all_now (NetmondProbes *self);
/* of NetmondProbe, sorted by address, port and transport */
GPtrArray *netmond_probes_get_all (NetmondProbes *self);
guint netmond_probes_count (NetmondProbes *self, NetmondProbeState state);

/* Whether a datagram is the answer to the OPTIONS probe of ID; its status then. */
gboolean netmond_probe_is_answer (const char *data, gsize length, guint32 id, guint *ret_status);

const char *netmond_probe_state_to_string (NetmondProbeState state);

G_END_DECLS
