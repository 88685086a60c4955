/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-rtt.h"

#define ALPHA (1.0 / 8)
#define BETA (1.0 / 4)

void
sipd_rtt_sample (SipdRtt *rtt, gint64 sample_ms)
{
  double r = (double) MAX (sample_ms, 0);

  if (!rtt->measured) {
    rtt->measured = TRUE;
    rtt->srtt_ms = r;
    rtt->rttvar_ms = r / 2;
    return;
  }
  /* RTTVAR first, with the SRTT of before (RFC 6298 §2.3) */
  rtt->rttvar_ms = (1 - BETA) * rtt->rttvar_ms + BETA * ABS (rtt->srtt_ms - r);
  rtt->srtt_ms = (1 - ALPHA) * rtt->srtt_ms + ALPHA * r;
}

gint64
sipd_rtt_suspect_after_ms (const SipdRtt *rtt, gint64 floor_ms)
{
  gint64 bound;

  if (!rtt->measured)
    return floor_ms;
  bound = (gint64) (4 * (rtt->srtt_ms + 4 * rtt->rttvar_ms) + 0.5);
  return MAX (bound, floor_ms);
}
