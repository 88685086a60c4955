/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-line-state.h"

const char *
sipd_line_state_to_string (SipdLineState state)
{
  switch (state) {
  case SIPD_LINE_STATE_DISABLED:
    return "disabled";
  case SIPD_LINE_STATE_REGISTERING:
    return "registering";
  case SIPD_LINE_STATE_REGISTERED:
    return "registered";
  case SIPD_LINE_STATE_MOVING:
    return "moving";
  case SIPD_LINE_STATE_RETURNING:
    return "returning";
  case SIPD_LINE_STATE_SUSPECTING:
    return "suspecting";
  case SIPD_LINE_STATE_FAILING_OVER:
    return "failing-over";
  case SIPD_LINE_STATE_ON_BACKUP:
    return "on-backup";
  case SIPD_LINE_STATE_FAILING_BACK:
    return "failing-back";
  case SIPD_LINE_STATE_BACKING_OFF:
    return "backing-off";
  case SIPD_LINE_STATE_REJECTED:
    return "rejected";
  }
  g_return_val_if_reached ("?");
}

const char *
sipd_line_event_to_string (SipdLineEvent event)
{
  switch (event) {
  case SIPD_LINE_EVENT_CONFIGURED:
    return "configured";
  case SIPD_LINE_EVENT_UNCONFIGURED:
    return "unconfigured";
  case SIPD_LINE_EVENT_CONNECTING:
    return "connecting";
  case SIPD_LINE_EVENT_UP:
    return "up";
  case SIPD_LINE_EVENT_FLOW_DOWN:
    return "flow down";
  case SIPD_LINE_EVENT_REJECTED:
    return "rejected";
  case SIPD_LINE_EVENT_PRIMARY_SUSPECT:
    return "primary suspect";
  case SIPD_LINE_EVENT_SUSPICION_CLEARED:
    return "suspicion cleared";
  case SIPD_LINE_EVENT_PRIMARY_FAILED:
    return "primary failed";
  case SIPD_LINE_EVENT_PRIMARY_BACK:
    return "primary back";
  case SIPD_LINE_EVENT_DNS_MOVED:
    return "dns moved";
  case SIPD_LINE_EVENT_TARGET_BACK:
    return "target back";
  }
  g_return_val_if_reached ("?");
}

static gboolean
is_move (SipdLineState state)
{
  return state == SIPD_LINE_STATE_MOVING || state == SIPD_LINE_STATE_RETURNING || state == SIPD_LINE_STATE_SUSPECTING ||
         state == SIPD_LINE_STATE_FAILING_OVER || state == SIPD_LINE_STATE_FAILING_BACK;
}

static gboolean
is_settled (SipdLineState state)
{
  return state == SIPD_LINE_STATE_REGISTERED || state == SIPD_LINE_STATE_ON_BACKUP;
}

SipdLineState
sipd_line_state_next (SipdLineState state, SipdLineEvent event, const SipdLineFacts *facts)
{
  if (state == SIPD_LINE_STATE_DISABLED && event != SIPD_LINE_EVENT_CONFIGURED)
    return state;

  switch (event) {
  case SIPD_LINE_EVENT_CONFIGURED:
    return SIPD_LINE_STATE_REGISTERING;
  case SIPD_LINE_EVENT_UNCONFIGURED:
    return SIPD_LINE_STATE_DISABLED;
  case SIPD_LINE_EVENT_CONNECTING:
    /* a move stays a move until it is up or fails */
    return is_move (state) || state == SIPD_LINE_STATE_REGISTERING ? state : SIPD_LINE_STATE_REGISTERING;
  case SIPD_LINE_EVENT_UP:
    if (state == SIPD_LINE_STATE_SUSPECTING)
      return state; /* the backup is up, but the primary has not failed yet */
    return facts->on_backup ? SIPD_LINE_STATE_ON_BACKUP : SIPD_LINE_STATE_REGISTERED;
  case SIPD_LINE_EVENT_FLOW_DOWN:
    /* make before break: the line is still registered where it was; the new plan tries again */
    return is_move (state) && facts->registered_before ? state : SIPD_LINE_STATE_BACKING_OFF;
  case SIPD_LINE_EVENT_REJECTED:
    return is_move (state) && facts->registered_before ? state : SIPD_LINE_STATE_REJECTED;
  case SIPD_LINE_EVENT_PRIMARY_SUSPECT:
    return state == SIPD_LINE_STATE_REGISTERED ? SIPD_LINE_STATE_SUSPECTING : state;
  case SIPD_LINE_EVENT_SUSPICION_CLEARED:
    return state == SIPD_LINE_STATE_SUSPECTING ? SIPD_LINE_STATE_REGISTERED : state;
  case SIPD_LINE_EVENT_PRIMARY_FAILED:
    return SIPD_LINE_STATE_FAILING_OVER;
  case SIPD_LINE_EVENT_PRIMARY_BACK:
    return SIPD_LINE_STATE_FAILING_BACK;
  case SIPD_LINE_EVENT_DNS_MOVED:
    return is_settled (state) ? SIPD_LINE_STATE_MOVING : state;
  case SIPD_LINE_EVENT_TARGET_BACK:
    return is_settled (state) ? SIPD_LINE_STATE_RETURNING : state;
  }
  g_return_val_if_reached (state);
}

const char *
sipd_line_state_to_public (SipdLineState state, gboolean registered_before)
{
  switch (state) {
  case SIPD_LINE_STATE_DISABLED:
    return "disabled";
  case SIPD_LINE_STATE_REJECTED:
    return "failed";
  case SIPD_LINE_STATE_REGISTERED:
  case SIPD_LINE_STATE_SUSPECTING:
  case SIPD_LINE_STATE_ON_BACKUP:
    return "registered";
  case SIPD_LINE_STATE_REGISTERING:
  case SIPD_LINE_STATE_MOVING:
  case SIPD_LINE_STATE_RETURNING:
  case SIPD_LINE_STATE_FAILING_OVER:
  case SIPD_LINE_STATE_FAILING_BACK:
  case SIPD_LINE_STATE_BACKING_OFF:
    return registered_before ? "registered" : "registering";
  }
  g_return_val_if_reached ("?");
}
