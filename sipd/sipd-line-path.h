/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a new request of a line (INVITE, MESSAGE) goes now: the flow of the
 * plan in use, or while the line moves the registered plan it is leaving, or
 * the dual flow's second one; a suspect flow only when nothing else is up,
 * and never the one to avoid (it left a request unanswered). */
#pragma once

#include "sipd-plan.h"

G_BEGIN_DECLS

typedef struct {
  SipdFlow *flow;    /* active; not owned */
  const char *route; /* a Route header value for the outbound proxy, or NULL */
  const char *aor;   /* the address of record registered there: the From */
} SipdLinePath;

/* FALSE when no flow is up. previous and standby may be NULL. */
gboolean sipd_line_path_choose (SipdPlan *plan,
                                SipdPlan *previous,
                                SipdFlowKeeper *standby,
                                SipdFlow *avoid,
                                SipdLinePath *ret_path);

G_END_DECLS
