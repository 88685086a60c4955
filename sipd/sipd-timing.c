/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-timing.h"

/* Without a Flow-Timer or a configured interval, RFC 5626 §4.4.1 recommends a
 * random 95-120 s on connection-oriented transports and 24-29 s for STUN over UDP.
 * Otherwise the interval is a random 80-100 % of the smaller of the two: the RFC
 * asks for keep-alives at least as often as the Flow-Timer says. */
gint64
sipd_keepalive_interval_ms (KlClock *clock, gboolean stream, guint flow_timer_s, guint configured_s)
{
  if (flow_timer_s == 0 && configured_s == 0) {
    return stream ? (gint64) (kl_clock_random (clock, 95.0, 120.0) * 1000)
                  : (gint64) (kl_clock_random (clock, 24.0, 29.0) * 1000);
  }
  return (gint64) (kl_clock_random (clock, 0.8, 1.0) *
                   sipd_keepalive_longest_s (stream, flow_timer_s, configured_s) * 1000);
}

/* The longest interval sipd_keepalive_interval_ms() draws. */
guint
sipd_keepalive_longest_s (gboolean stream, guint flow_timer_s, guint configured_s)
{
  if (flow_timer_s == 0 && configured_s == 0)
    return stream ? 120 : 29;
  if (flow_timer_s == 0)
    return configured_s;
  if (configured_s == 0)
    return flow_timer_s;
  return MIN (flow_timer_s, configured_s);
}

/* RFC 5626 §4.5: W = min (max-time, base-time * 2^consecutive-failures). */
gint64
sipd_backoff_upper_bound_ms (guint consecutive_failures, gboolean all_flows_failed)
{
  gint64 base_s = all_flows_failed ? SIPD_BACKOFF_BASE_ALL_FAILED_S : SIPD_BACKOFF_BASE_SOME_FAILED_S;
  gint64 wait_s = base_s;

  for (guint i = 0; i < consecutive_failures && wait_s < SIPD_BACKOFF_MAX_S; i++)
    wait_s *= 2;
  return MIN (wait_s, SIPD_BACKOFF_MAX_S) * 1000;
}

/* A random 50-100 % of W, at least what a 503's Retry-After asked for, scaled
 * by "sip timer scale percent" (100 outside labs). */
gint64
sipd_backoff_delay_ms (KlClock *clock,
                       guint consecutive_failures,
                       gboolean all_flows_failed,
                       guint retry_after_s,
                       guint scale_percent)
{
  gint64 upper = sipd_backoff_upper_bound_ms (consecutive_failures, all_flows_failed);
  gint64 delay = (gint64) (kl_clock_random (clock, 0.5, 1.0) * (double) upper);

  delay = MAX (delay, (gint64) retry_after_s * 1000);
  return delay * scale_percent / 100;
}

/* While on a backup: a random 5-10 s between probes of the failed primary,
 * doubled for each failed attempt up to three times. */
gint64
sipd_probe_delay_ms (KlClock *clock, guint failed_attempts, guint scale_percent)
{
  double seconds = kl_clock_random (clock, SIPD_PROBE_MIN_S, SIPD_PROBE_MAX_S);

  for (guint i = 0; i < MIN (failed_attempts, SIPD_PROBE_MAX_DOUBLINGS); i++)
    seconds *= 2;
  return (gint64) (seconds * 1000) * scale_percent / 100;
}

/* Refresh a registration or subscription renewal_s before it expires; when less
 * than twice that was granted, at half the time. */
gint64
sipd_refresh_delay_ms (guint expires_s, guint renewal_s)
{
  if (expires_s >= 2 * renewal_s && renewal_s > 0)
    return ((gint64) expires_s - renewal_s) * 1000;
  return (gint64) expires_s * 500;
}
