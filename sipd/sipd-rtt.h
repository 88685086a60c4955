/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The round trip of a flow, smoothed as TCP smooths it (RFC 6298 §2: SRTT
 * and RTTVAR, gains 1/8 and 1/4), and from it how long an answer may take
 * before the flow is suspect: 4 × (SRTT + 4 × RTTVAR), never less than a
 * floor. Pure: the samples come from the keep-alive. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean measured; /* at least one sample */
  double srtt_ms;
  double rttvar_ms;
} SipdRtt;

#define SIPD_RTT_INIT { FALSE, 0.0, 0.0 }
#define SIPD_SUSPECT_FLOOR_DEFAULT_MS 1000
#define SIPD_SUSPECT_FLOOR_MIN_MS 250 /* "sip timer scale percent" scales the floor down to this */

void sipd_rtt_sample (SipdRtt *rtt, gint64 sample_ms);
/* How long after a ping its answer is late enough to suspect the flow:
 * max(4 × (SRTT + 4 × RTTVAR), floor); the floor alone before a sample. */
gint64 sipd_rtt_suspect_after_ms (const SipdRtt *rtt, gint64 floor_ms);

G_END_DECLS
