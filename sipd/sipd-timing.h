/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The intervals of RFC 5626: how often to send keep-alives on a flow (§4.4.1),
 * and how long to wait before trying a failed flow again (§4.5); how often to
 * probe a failed primary server; when to refresh a registration. */
#pragma once

#include "kl-clock.h"

G_BEGIN_DECLS

#define SIPD_PONG_TIMEOUT_MS 10000     /* a CRLF pong or STUN answer must come within 10 s */
#define SIPD_BACKOFF_MAX_S 1800
#define SIPD_BACKOFF_BASE_ALL_FAILED_S 30
#define SIPD_BACKOFF_BASE_SOME_FAILED_S 90
#define SIPD_PROBE_MIN_S 5.0
#define SIPD_PROBE_MAX_S 10.0
#define SIPD_KEEP_MAX_S 86400 /* the longest keep=N (RFC 6223) taken from a server */
#define SIPD_PROBE_MAX_DOUBLINGS 3 /* 5-10 s, then up to 40-80 s while the server stays dead */

gint64 sipd_keepalive_interval_ms (KlClock *clock,
                                   gboolean stream,
                                   guint flow_timer_s,
                                   guint configured_s);
guint sipd_keepalive_longest_s (gboolean stream, guint flow_timer_s, guint configured_s);

gint64 sipd_backoff_upper_bound_ms (guint consecutive_failures, gboolean all_flows_failed);
gint64 sipd_backoff_delay_ms (KlClock *clock,
                              guint consecutive_failures,
                              gboolean all_flows_failed,
                              guint retry_after_s,
                              guint scale_percent);

gint64 sipd_probe_delay_ms (KlClock *clock, guint failed_attempts, guint scale_percent);

gint64 sipd_refresh_delay_ms (guint expires_s, guint renewal_s);

G_END_DECLS
