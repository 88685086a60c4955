/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keep-alive of a flow on the fake clock: the round-trip estimator of
 * RFC 6298, its states, and early suspicion of a silent server. */
#include "kl-clock.h"
#include "sipd-keepalive.h"
#include "sipd-rtt.h"

typedef struct {
  KlClock *clock;
  SipdKeepalive *keepalive;
  guint pings;
  guint answers;
  guint suspicions;
  guint failures;
  gboolean stalled;
  char *reason;
} Fixture;

static void
on_send (GBytes *ping, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_cmpmem (g_bytes_get_data (ping, NULL), g_bytes_get_size (ping), "\r\n\r\n", 4);
  f->pings++;
}

static void
on_answered (gpointer user_data)
{
  ((Fixture *) user_data)->answers++;
}

static void
on_failed (const char *reason, gpointer user_data)
{
  Fixture *f = user_data;

  f->failures++;
  g_free (f->reason);
  f->reason = g_strdup (reason);
}

static void
on_suspect (const char *reason, gpointer user_data)
{
  Fixture *f = user_data;

  f->suspicions++;
  g_free (f->reason);
  f->reason = g_strdup (reason);
}

static gboolean
on_stalled (gpointer user_data)
{
  return ((Fixture *) user_data)->stalled;
}

static const SipdKeepaliveCallbacks callbacks = { on_send, on_answered, on_failed, on_suspect, on_stalled };

static void
setup (Fixture *f, gconstpointer data)
{
  f->clock = kl_clock_new_fake (7);
  f->keepalive = sipd_keepalive_new (f->clock, TRUE, 1, &callbacks, f);
  sipd_keepalive_start (f->keepalive, 25, 10, 1000); /* a ping every 8-10 s */
}

static void
teardown (Fixture *f, gconstpointer data)
{
  sipd_keepalive_free (f->keepalive);
  kl_clock_unref (f->clock);
  g_free (f->reason);
}

/* Advances the clock to the next ping. */
static void
until_ping (Fixture *f)
{
  guint before = f->pings;

  for (gint64 waited = 0; f->pings == before; waited++) {
    g_assert_cmpint (waited, <=, 10000);
    kl_clock_advance (f->clock, 1);
  }
}

/* One ping, answered after rtt_ms. */
static void
ping_answered_after (Fixture *f, gint64 rtt_ms)
{
  until_ping (f);
  kl_clock_advance (f->clock, rtt_ms);
  sipd_keepalive_pong (f->keepalive);
  g_assert_cmpint (sipd_keepalive_get_rtt_ms (f->keepalive), ==, rtt_ms);
}

/* The estimator */

static void
test_rtt_first_sample_sets_srtt_and_half_of_it_as_variance (void)
{
  SipdRtt rtt = SIPD_RTT_INIT;

  g_assert_cmpint (sipd_rtt_suspect_after_ms (&rtt, 1000), ==, 1000);
  sipd_rtt_sample (&rtt, 400);
  g_assert_cmpfloat (rtt.srtt_ms, ==, 400);
  g_assert_cmpfloat (rtt.rttvar_ms, ==, 200);
  /* 4 × (400 + 4 × 200) */
  g_assert_cmpint (sipd_rtt_suspect_after_ms (&rtt, 1000), ==, 4800);
}

static void
test_rtt_follows_rfc_6298_gains_of_an_eighth_and_a_quarter (void)
{
  SipdRtt rtt = SIPD_RTT_INIT;

  sipd_rtt_sample (&rtt, 100);
  sipd_rtt_sample (&rtt, 200);
  /* RTTVAR = 3/4 × 50 + 1/4 × |100 - 200|; SRTT = 7/8 × 100 + 1/8 × 200 */
  g_assert_cmpfloat_with_epsilon (rtt.rttvar_ms, 62.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (rtt.srtt_ms, 112.5, 1e-9);
}

static void
test_rtt_steady_lan_round_trip_leaves_the_floor_in_force (void)
{
  SipdRtt rtt = SIPD_RTT_INIT;

  for (guint i = 0; i < 20; i++)
    sipd_rtt_sample (&rtt, 3);
  g_assert_cmpint (sipd_rtt_suspect_after_ms (&rtt, 1000), ==, 1000);
  g_assert_cmpint (sipd_rtt_suspect_after_ms (&rtt, 100), ==, 100);
}

/* The states */

static void
test_state_suspect_is_cleared_by_an_answer_and_failed_by_the_deadline (void)
{
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_OFF, SIPD_KEEPALIVE_EVENT_START), ==,
                   SIPD_KEEPALIVE_STATE_SCHEDULED);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_SCHEDULED, SIPD_KEEPALIVE_EVENT_PING), ==,
                   SIPD_KEEPALIVE_STATE_AWAITING);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_AWAITING, SIPD_KEEPALIVE_EVENT_LATE), ==,
                   SIPD_KEEPALIVE_STATE_SUSPECT);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_SUSPECT, SIPD_KEEPALIVE_EVENT_ANSWER), ==,
                   SIPD_KEEPALIVE_STATE_SCHEDULED);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_SUSPECT, SIPD_KEEPALIVE_EVENT_DEADLINE), ==,
                   SIPD_KEEPALIVE_STATE_FAILED);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_SUSPECT, SIPD_KEEPALIVE_EVENT_LATE), ==,
                   SIPD_KEEPALIVE_STATE_SUSPECT);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_FAILED, SIPD_KEEPALIVE_EVENT_ANSWER), ==,
                   SIPD_KEEPALIVE_STATE_FAILED);
  g_assert_cmpint (sipd_keepalive_state_next (SIPD_KEEPALIVE_STATE_OFF, SIPD_KEEPALIVE_EVENT_LATE), ==,
                   SIPD_KEEPALIVE_STATE_OFF);
}

/* On the clock */

static void
test_late_pong_makes_the_flow_suspect_at_the_floor_and_sends_a_second_ping (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  until_ping (f);
  kl_clock_advance (f->clock, 999);
  g_assert_cmpint (sipd_keepalive_get_state (f->keepalive), ==, SIPD_KEEPALIVE_STATE_AWAITING);
  g_assert_cmpuint (f->suspicions, ==, 0);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpint (sipd_keepalive_get_state (f->keepalive), ==, SIPD_KEEPALIVE_STATE_SUSPECT);
  g_assert_cmpuint (f->suspicions, ==, 1);
  g_assert_cmpuint (f->pings, ==, 3); /* the first, the late one, the second at once */
  g_assert_cmpstr (f->reason, ==, "no answer to a keep-alive within 1000 ms");
}

static void
test_suspect_flow_answering_is_cleared (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  until_ping (f);
  kl_clock_advance (f->clock, 2500);
  g_assert_cmpint (sipd_keepalive_get_state (f->keepalive), ==, SIPD_KEEPALIVE_STATE_SUSPECT);
  sipd_keepalive_pong (f->keepalive);
  g_assert_cmpint (sipd_keepalive_get_state (f->keepalive), ==, SIPD_KEEPALIVE_STATE_SCHEDULED);
  g_assert_cmpuint (f->answers, ==, 2);
  g_assert_cmpuint (f->failures, ==, 0);
  /* the round trip counts from the first ping: never too short */
  g_assert_cmpint (sipd_keepalive_get_rtt_ms (f->keepalive), ==, 2500);
  ping_answered_after (f, 5);
  g_assert_cmpuint (f->failures, ==, 0);
  g_assert_cmpuint (f->suspicions, ==, 1);
}

static void
test_suspect_flow_silent_for_10_s_fails (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  until_ping (f);
  kl_clock_advance (f->clock, 1000);
  g_assert_cmpuint (f->suspicions, ==, 1);
  kl_clock_advance (f->clock, 8999);
  g_assert_cmpuint (f->failures, ==, 0);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpuint (f->failures, ==, 1);
  g_assert_cmpint (sipd_keepalive_get_state (f->keepalive), ==, SIPD_KEEPALIVE_STATE_FAILED);
  g_assert_cmpstr (f->reason, ==, "no keep-alive pong within 10 s");
}

static void
test_slow_but_steady_server_jumping_from_20_to_600_ms_is_never_suspect (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 30; i++)
    ping_answered_after (f, 20);
  for (guint i = 0; i < 30; i++)
    ping_answered_after (f, 600);
  for (guint i = 0; i < 10; i++) {
    ping_answered_after (f, 20);
    ping_answered_after (f, 600);
  }
  g_assert_cmpuint (f->suspicions, ==, 0);
  g_assert_cmpuint (f->failures, ==, 0);
  g_assert_cmpuint (f->answers, ==, 80);
}

static void
test_wan_round_trip_raises_the_bound_above_the_floor (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 10; i++)
    ping_answered_after (f, 600);
  g_assert_cmpint (sipd_keepalive_get_suspect_after_ms (f->keepalive), >, 2400);
  ping_answered_after (f, 2000); /* a slow one, below 4 × (SRTT + 4 × RTTVAR) */
  g_assert_cmpuint (f->suspicions, ==, 0);
}

static void
test_kernel_retransmitting_makes_the_flow_suspect_before_the_floor (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  until_ping (f);
  kl_clock_advance (f->clock, 200);
  g_assert_cmpuint (f->suspicions, ==, 0);
  f->stalled = TRUE;
  kl_clock_advance (f->clock, 200);
  g_assert_cmpuint (f->suspicions, ==, 1);
  g_assert_cmpstr (f->reason, ==, "the kernel cannot deliver the keep-alive, 400 ms after it");
}

static void
test_unanswered_request_makes_the_flow_suspect_and_pings (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  sipd_keepalive_request_sent (f->keepalive);
  kl_clock_advance (f->clock, 999);
  g_assert_cmpuint (f->suspicions, ==, 0);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpuint (f->suspicions, ==, 1);
  g_assert_cmpuint (f->pings, ==, 2);
  g_assert_cmpstr (f->reason, ==, "a request had no answer within 1000 ms");
  kl_clock_advance (f->clock, 10000);
  g_assert_cmpuint (f->failures, ==, 1);
}

static void
test_answered_request_is_no_sign (Fixture *f, gconstpointer data)
{
  ping_answered_after (f, 5);
  sipd_keepalive_request_sent (f->keepalive);
  kl_clock_advance (f->clock, 30);
  sipd_keepalive_heard (f->keepalive);
  kl_clock_advance (f->clock, 5000);
  g_assert_cmpuint (f->suspicions, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/rtt/first-sample-sets-srtt-and-half-of-it-as-variance",
                   test_rtt_first_sample_sets_srtt_and_half_of_it_as_variance);
  g_test_add_func ("/sipd/rtt/follows-rfc-6298-gains-of-an-eighth-and-a-quarter",
                   test_rtt_follows_rfc_6298_gains_of_an_eighth_and_a_quarter);
  g_test_add_func ("/sipd/rtt/steady-lan-round-trip-leaves-the-floor-in-force",
                   test_rtt_steady_lan_round_trip_leaves_the_floor_in_force);
  g_test_add_func ("/sipd/keepalive/state/suspect-is-cleared-by-an-answer-and-failed-by-the-deadline",
                   test_state_suspect_is_cleared_by_an_answer_and_failed_by_the_deadline);
#define ADD(path, func) g_test_add ("/sipd/keepalive/" path, Fixture, NULL, setup, func, teardown)
  ADD ("late-pong-makes-the-flow-suspect-at-the-floor-and-sends-a-second-ping",
       test_late_pong_makes_the_flow_suspect_at_the_floor_and_sends_a_second_ping);
  ADD ("suspect-flow-answering-is-cleared", test_suspect_flow_answering_is_cleared);
  ADD ("suspect-flow-silent-for-10-s-fails", test_suspect_flow_silent_for_10_s_fails);
  ADD ("slow-but-steady-server-jumping-from-20-to-600-ms-is-never-suspect",
       test_slow_but_steady_server_jumping_from_20_to_600_ms_is_never_suspect);
  ADD ("wan-round-trip-raises-the-bound-above-the-floor", test_wan_round_trip_raises_the_bound_above_the_floor);
  ADD ("kernel-retransmitting-makes-the-flow-suspect-before-the-floor",
       test_kernel_retransmitting_makes_the_flow_suspect_before_the_floor);
  ADD ("unanswered-request-makes-the-flow-suspect-and-pings", test_unanswered_request_makes_the_flow_suspect_and_pings);
  ADD ("answered-request-is-no-sign", test_answered_request_is_no_sign);
#undef ADD
  return g_test_run ();
}
