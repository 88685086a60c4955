/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside a line, for its two files: sipd-line.c (state, plans, failover,
 * failback, suspicion) and sipd-line-network.c (what netmond says: links,
 * addresses, DNS answers). Nothing else includes this. */
#pragma once

#include "sipd-leftovers.h"
#include "sipd-line.h"
#include "sipd-primaries.h"

G_BEGIN_DECLS

struct _SipdLine {
  guint index;
  char *object_path;
  KlObjectSkeleton *object;
  KlSipLine1 *iface;
  SipdLineContext *context;

  SipdLineSettings *settings; /* NULL while disabled */
  SipdLineState state;

  SipdPrimaries *primaries; /* which failed: they decide the plan; NULL while disabled */
  SipdPlan *plan;           /* the plan in use, or the one the line moves to */
  SipdPlan *previous;       /* the plan it moves away from, until the new one is up */
  SipdFlowKeeper *standby;  /* reg-id 2 through the backup outbound proxy, with "sip outbound dual flow" */
  SipdLeftovers *leftovers;

  gboolean was_registered;
  guint failovers;
  guint failbacks;
  guint suspicions_cleared;
  char *failback_reason;   /* what the failback under way will announce */
  guint failback_failures; /* in a row: probes start backed off by them */
};

/* Every change of the line's state goes through here. */
void sipd_line_transition (SipdLine *self, SipdLineEvent event, const char *reason);
/* A new plan for the choice, in use now, started. */
void sipd_line_adopt_plan (SipdLine *self, const SipdFailoverChoice *choice);

G_END_DECLS
