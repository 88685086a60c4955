/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside a line, for its files: sipd-line.c (state, plans, failover,
 * failback), sipd-line-suspicion.c (a suspect primary) and
 * sipd-line-network.c (what netmond says: links, addresses, DNS answers).
 * Nothing else includes this. */
#pragma once

#include "sipd-leftovers.h"
#include "sipd-line.h"
#include "sipd-primaries.h"
#include "sipd-target-probe.h"

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
  SipdTargetProbe *targets; /* the better SRV targets the plan's keeper passed over; NULL while disabled */
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
  guint returns;           /* to a better SRV target, since the line was last on its best: its probe backs off */
};

/* Every change of the line's state goes through here. */
void sipd_line_transition (SipdLine *self, SipdLineEvent event, const char *reason);
const SipdFailoverChoice *sipd_line_current_choice (SipdLine *self);
void sipd_line_set_last_error (SipdLine *self, const char *error);
void sipd_line_update_flows (SipdLine *self);
void sipd_line_count_failover (SipdLine *self, const char *failover);
/* Registered with the plan in use: what the line had before goes. */
void sipd_line_plan_up (SipdLine *self);
/* Moves the line to the servers of a failover choice, make before break. */
void sipd_line_move_to (SipdLine *self, const SipdFailoverChoice *choice);

/* sipd-line-suspicion.c: the plan's flow turned suspect; the suspect
 * primary (the plan held as previous) answered again, or failed. */
void sipd_line_plan_suspect (SipdLine *self);
void sipd_line_suspicion_cleared (SipdLine *self);
void sipd_line_suspicion_confirmed (SipdLine *self);

/* A new plan for the choice, in use now, started; its keeper starts at
 * first, a target of its next hop, or NULL for the first not passed over. */
void sipd_line_adopt_plan (SipdLine *self, const SipdFailoverChoice *choice, const KlSipTarget *first);
/* The plan's keeper settled, or the line moves: the better SRV targets are
 * watched, or no longer. */
void sipd_line_follow_targets (SipdLine *self);
/* A better SRV target of host answers its probe: the line returns to it. */
void sipd_line_target_back (const char *host, const KlSipTarget *target, gpointer user_data);

G_END_DECLS
