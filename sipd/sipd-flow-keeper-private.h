/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The flow keeper's state, shared by its files: sipd-flow-keeper.c keeps the
 * flow, sipd-flow-keeper-view.c tells what it holds. */
#pragma once

#include "sipd-flow-keeper.h"
#include "sipd-options-ping.h"
#include "sipd-target-walk.h"

G_BEGIN_DECLS

struct _SipdFlowKeeper {
  SipdStack *stack;
  SipdResolver *resolver;
  SipdServer server;
  KlTransport transport;
  SipdFlowKeeperBackoff backoff;
  guint fixed_retry_s;
  guint rejected_retry_s;
  guint keepalive_s;
  guint suspect_floor_ms;
  gboolean keepalive_without_outbound;
  guint options_keepalive_s;
  SipdOptionsPing *options; /* OPTIONS over the flow: the keep-alive without outbound, a probe's check */
  guint scale_percent;
  guint line;
  char *name;
  SipdFlowKeeperCallbacks callbacks;
  gpointer user_data;

  SipdFlowKeeperState state;
  gboolean held;
  gboolean unusable;     /* the transport cannot be used at all: no new attempt */
  char *reason;          /* why it is down */
  guint failure_status;  /* of the refused REGISTER that took it down */

  SipdRegistration *registration; /* NULL for a probe */
  SipdResolverLookup *lookup;
  SipdTargetWalk *targets; /* of the server, as last looked up, and which failed lately */
  SipdFlow *flow;
  guint watch;
  KlTimer *retry_timer;
  guint failures;           /* failed attempts in a row, for the back-off */
  gboolean network_changed; /* a failure now is the network's: try again at once */
  gboolean flow_lost_at_edge; /* a 430: a new flow to the same target, at once */
  gboolean pong_seen;         /* the flow's server answered a CRLF or STUN ping */
  guint edge_losses;          /* 430s since the last registration: a second is a failure */
  gint64 up_ms;               /* when it last came up: registered, or a keep-alive answered */
  guint flow_failures;
  char *last_failure;
  gint64 shown_rtt_ms; /* the round trip Flows shows */
};

G_END_DECLS
