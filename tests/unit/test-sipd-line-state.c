/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The line's transition function, row by row: from each state, what each
 * event leads to, and what the State property says meanwhile. */
#include "sipd-line-state.h"

#define ANY -1

typedef struct {
  int from; /* a state, or ANY */
  SipdLineEvent event;
  gboolean on_backup;
  gboolean registered_before;
  SipdLineState to;
} Transition;

static const Transition transitions[] = {
  { SIPD_LINE_STATE_DISABLED, SIPD_LINE_EVENT_CONFIGURED, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { SIPD_LINE_STATE_DISABLED, SIPD_LINE_EVENT_UP, FALSE, FALSE, SIPD_LINE_STATE_DISABLED },
  { SIPD_LINE_STATE_DISABLED, SIPD_LINE_EVENT_FLOW_DOWN, FALSE, FALSE, SIPD_LINE_STATE_DISABLED },
  { ANY, SIPD_LINE_EVENT_CONFIGURED, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { ANY, SIPD_LINE_EVENT_UNCONFIGURED, FALSE, FALSE, SIPD_LINE_STATE_DISABLED },
  /* starting and restarting */
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_UP, FALSE, FALSE, SIPD_LINE_STATE_REGISTERED },
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_UP, TRUE, FALSE, SIPD_LINE_STATE_ON_BACKUP },
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_FLOW_DOWN, FALSE, FALSE, SIPD_LINE_STATE_BACKING_OFF },
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_REJECTED, FALSE, FALSE, SIPD_LINE_STATE_REJECTED },
  { SIPD_LINE_STATE_BACKING_OFF, SIPD_LINE_EVENT_CONNECTING, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { SIPD_LINE_STATE_REJECTED, SIPD_LINE_EVENT_CONNECTING, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_CONNECTING, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_CONNECTING, TRUE, FALSE, SIPD_LINE_STATE_REGISTERING },
  /* a flow failure with nothing to fail over to */
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_FLOW_DOWN, FALSE, FALSE, SIPD_LINE_STATE_BACKING_OFF },
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_FLOW_DOWN, TRUE, FALSE, SIPD_LINE_STATE_BACKING_OFF },
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_REJECTED, FALSE, FALSE, SIPD_LINE_STATE_REJECTED },
  /* failover */
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_PRIMARY_FAILED, FALSE, FALSE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_PRIMARY_FAILED, FALSE, FALSE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_PRIMARY_FAILED, TRUE, FALSE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_FAILING_OVER, SIPD_LINE_EVENT_CONNECTING, TRUE, FALSE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_FAILING_OVER, SIPD_LINE_EVENT_UP, TRUE, FALSE, SIPD_LINE_STATE_ON_BACKUP },
  { SIPD_LINE_STATE_FAILING_OVER, SIPD_LINE_EVENT_FLOW_DOWN, TRUE, FALSE, SIPD_LINE_STATE_BACKING_OFF },
  { SIPD_LINE_STATE_FAILING_OVER, SIPD_LINE_EVENT_FLOW_DOWN, TRUE, TRUE, SIPD_LINE_STATE_FAILING_OVER },
  /* failback, and a failback that fails */
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_PRIMARY_BACK, TRUE, FALSE, SIPD_LINE_STATE_FAILING_BACK },
  { SIPD_LINE_STATE_FAILING_OVER, SIPD_LINE_EVENT_PRIMARY_BACK, TRUE, FALSE, SIPD_LINE_STATE_FAILING_BACK },
  { SIPD_LINE_STATE_FAILING_BACK, SIPD_LINE_EVENT_CONNECTING, FALSE, TRUE, SIPD_LINE_STATE_FAILING_BACK },
  { SIPD_LINE_STATE_FAILING_BACK, SIPD_LINE_EVENT_UP, FALSE, TRUE, SIPD_LINE_STATE_REGISTERED },
  { SIPD_LINE_STATE_FAILING_BACK, SIPD_LINE_EVENT_PRIMARY_FAILED, FALSE, TRUE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_FAILING_BACK, SIPD_LINE_EVENT_REJECTED, FALSE, TRUE, SIPD_LINE_STATE_FAILING_BACK },
  { SIPD_LINE_STATE_FAILING_BACK, SIPD_LINE_EVENT_REJECTED, FALSE, FALSE, SIPD_LINE_STATE_REJECTED },
  /* DNS moved the server */
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_DNS_MOVED, FALSE, FALSE, SIPD_LINE_STATE_MOVING },
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_DNS_MOVED, TRUE, FALSE, SIPD_LINE_STATE_MOVING },
  { SIPD_LINE_STATE_REGISTERING, SIPD_LINE_EVENT_DNS_MOVED, FALSE, FALSE, SIPD_LINE_STATE_REGISTERING },
  { SIPD_LINE_STATE_MOVING, SIPD_LINE_EVENT_CONNECTING, FALSE, TRUE, SIPD_LINE_STATE_MOVING },
  { SIPD_LINE_STATE_MOVING, SIPD_LINE_EVENT_FLOW_DOWN, FALSE, TRUE, SIPD_LINE_STATE_MOVING },
  { SIPD_LINE_STATE_MOVING, SIPD_LINE_EVENT_UP, FALSE, TRUE, SIPD_LINE_STATE_REGISTERED },
  { SIPD_LINE_STATE_MOVING, SIPD_LINE_EVENT_UP, TRUE, TRUE, SIPD_LINE_STATE_ON_BACKUP },
  { SIPD_LINE_STATE_MOVING, SIPD_LINE_EVENT_PRIMARY_FAILED, TRUE, TRUE, SIPD_LINE_STATE_FAILING_OVER },
  /* a suspect primary: the backup registers, the primary is held */
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_PRIMARY_SUSPECT, TRUE, TRUE, SIPD_LINE_STATE_SUSPECTING },
  { SIPD_LINE_STATE_ON_BACKUP, SIPD_LINE_EVENT_PRIMARY_SUSPECT, TRUE, FALSE, SIPD_LINE_STATE_ON_BACKUP },
  { SIPD_LINE_STATE_SUSPECTING, SIPD_LINE_EVENT_CONNECTING, TRUE, TRUE, SIPD_LINE_STATE_SUSPECTING },
  { SIPD_LINE_STATE_SUSPECTING, SIPD_LINE_EVENT_UP, TRUE, TRUE, SIPD_LINE_STATE_SUSPECTING },
  { SIPD_LINE_STATE_SUSPECTING, SIPD_LINE_EVENT_FLOW_DOWN, TRUE, TRUE, SIPD_LINE_STATE_SUSPECTING },
  { SIPD_LINE_STATE_SUSPECTING, SIPD_LINE_EVENT_SUSPICION_CLEARED, FALSE, FALSE, SIPD_LINE_STATE_REGISTERED },
  { SIPD_LINE_STATE_SUSPECTING, SIPD_LINE_EVENT_PRIMARY_FAILED, TRUE, TRUE, SIPD_LINE_STATE_FAILING_OVER },
  { SIPD_LINE_STATE_REGISTERED, SIPD_LINE_EVENT_SUSPICION_CLEARED, FALSE, FALSE, SIPD_LINE_STATE_REGISTERED },
};

static void
test_transitions_follow_the_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++) {
    const Transition *t = &transitions[i];
    SipdLineFacts facts = { t->on_backup, t->registered_before };

    for (int from = SIPD_LINE_STATE_DISABLED; from <= SIPD_LINE_STATE_REJECTED; from++) {
      SipdLineState to;

      if (t->from != ANY && t->from != from)
        continue;
      if (t->from == ANY && from == SIPD_LINE_STATE_DISABLED && t->event != SIPD_LINE_EVENT_CONFIGURED &&
          t->event != SIPD_LINE_EVENT_UNCONFIGURED)
        continue;
      to = sipd_line_state_next (from, t->event, &facts);
      if (to != t->to)
        g_error ("row %u: %s --%s--> %s, want %s", i, sipd_line_state_to_string (from),
                 sipd_line_event_to_string (t->event), sipd_line_state_to_string (to),
                 sipd_line_state_to_string (t->to));
    }
  }
}

/* Every state reached by UP says "registered" on D-Bus; a move says
 * "registered" while what it leaves is. */
static void
test_the_state_property_says_registered_while_anything_is (void)
{
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_DISABLED, FALSE), ==, "disabled");
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_REGISTERING, FALSE), ==, "registering");
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_REGISTERED, FALSE), ==, "registered");
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_ON_BACKUP, FALSE), ==, "registered");
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_BACKING_OFF, FALSE), ==, "registering");
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_REJECTED, FALSE), ==, "failed");
  /* suspecting holds the primary registration until it is left */
  g_assert_cmpstr (sipd_line_state_to_public (SIPD_LINE_STATE_SUSPECTING, FALSE), ==, "registered");
  for (SipdLineState s = SIPD_LINE_STATE_MOVING; s <= SIPD_LINE_STATE_FAILING_BACK; s++) {
    if (s == SIPD_LINE_STATE_ON_BACKUP || s == SIPD_LINE_STATE_SUSPECTING)
      continue;
    g_assert_cmpstr (sipd_line_state_to_public (s, TRUE), ==, "registered");
    g_assert_cmpstr (sipd_line_state_to_public (s, FALSE), ==, "registering");
  }
}

/* Nothing but being configured gets a disabled line going. */
static void
test_a_disabled_line_stays_disabled (void)
{
  SipdLineFacts facts = { FALSE, FALSE };

  for (SipdLineEvent e = SIPD_LINE_EVENT_UNCONFIGURED; e <= SIPD_LINE_EVENT_DNS_MOVED; e++)
    g_assert_cmpint (sipd_line_state_next (SIPD_LINE_STATE_DISABLED, e, &facts), ==, SIPD_LINE_STATE_DISABLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/line-state/transitions-follow-the-table", test_transitions_follow_the_table);
  g_test_add_func ("/sipd/line-state/the-state-property-says-registered-while-anything-is",
                   test_the_state_property_says_registered_while_anything_is);
  g_test_add_func ("/sipd/line-state/a-disabled-line-stays-disabled", test_a_disabled_line_stays_disabled);
  return g_test_run ();
}
