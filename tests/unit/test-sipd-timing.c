/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake clock, and the RFC 5626 intervals driven by it. */
#include "kl-clock.h"
#include "sipd-timing.h"

typedef struct {
  GArray *fired_at;
  KlClock *clock;
  KlTimer *restart; /* restarted from its own callback when set */
} Record;

static void
on_fire (gpointer user_data)
{
  Record *record = user_data;
  gint64 now = kl_clock_now_ms (record->clock);

  g_array_append_val (record->fired_at, now);
  if (record->restart != NULL && record->fired_at->len < 3)
    kl_timer_start (record->restart, 100);
}

static void
test_fake_clock_fires_timers_in_deadline_order (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (GArray) fired = g_array_new (FALSE, FALSE, sizeof (gint64));
  Record record = { fired, clock, NULL };
  g_autoptr (KlTimer) late = kl_timer_new (clock, on_fire, &record);
  g_autoptr (KlTimer) early = kl_timer_new (clock, on_fire, &record);
  gint64 start = kl_clock_now_ms (clock);

  kl_timer_start (late, 300);
  kl_timer_start (early, 200);
  kl_clock_advance (clock, 199);
  g_assert_cmpuint (fired->len, ==, 0);
  kl_clock_advance (clock, 200);
  g_assert_cmpuint (fired->len, ==, 2);
  g_assert_cmpint (g_array_index (fired, gint64, 0), ==, start + 200);
  g_assert_cmpint (g_array_index (fired, gint64, 1), ==, start + 300);
  g_assert_cmpint (kl_clock_now_ms (clock), ==, start + 399);
  g_assert_false (kl_timer_is_active (late));
}

static void
test_timer_restarted_from_its_callback_fires_again_within_one_advance (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (GArray) fired = g_array_new (FALSE, FALSE, sizeof (gint64));
  Record record = { fired, clock, NULL };
  g_autoptr (KlTimer) timer = kl_timer_new (clock, on_fire, &record);
  gint64 start = kl_clock_now_ms (clock);

  record.restart = timer;
  kl_timer_start (timer, 100);
  kl_clock_advance (clock, 1000);
  g_assert_cmpuint (fired->len, ==, 3);
  g_assert_cmpint (g_array_index (fired, gint64, 2), ==, start + 300);
}

static void
test_stopped_timer_does_not_fire (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (GArray) fired = g_array_new (FALSE, FALSE, sizeof (gint64));
  Record record = { fired, clock, NULL };
  g_autoptr (KlTimer) timer = kl_timer_new (clock, on_fire, &record);

  kl_timer_start (timer, 100);
  kl_timer_stop (timer);
  kl_clock_advance (clock, 1000);
  g_assert_cmpuint (fired->len, ==, 0);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
on_real_fire (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_real_clock_fires_on_the_main_loop (void)
{
  g_autoptr (KlClock) clock = kl_clock_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gboolean fired = FALSE;
  g_autoptr (KlTimer) timer = kl_timer_new (clock, on_real_fire, &fired);

  kl_timer_start (timer, 10);
  g_timeout_add (2000, quit_loop, loop);
  while (!fired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (fired);
  g_assert_false (kl_timer_is_active (timer));
}

/* RFC 5626 §4.4.1 */

static void
test_keepalive_without_flow_timer_or_config_follows_rfc_recommendation (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (7);

  for (guint i = 0; i < 1000; i++) {
    gint64 stream = sipd_keepalive_interval_ms (clock, TRUE, 0, 0);
    gint64 datagram = sipd_keepalive_interval_ms (clock, FALSE, 0, 0);
    g_assert_cmpint (stream, >=, 95000);
    g_assert_cmpint (stream, <=, 120000);
    g_assert_cmpint (datagram, >=, 24000);
    g_assert_cmpint (datagram, <=, 29000);
  }
}

static void
test_keepalive_is_80_to_100_percent_of_the_smaller_timer (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (7);
  static const struct {
    guint flow_timer, configured, base;
  } cases[] = {
    { 25, 0, 25 }, { 0, 10, 10 }, { 25, 10, 10 }, { 10, 25, 10 }, { 120, 120, 120 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    gint64 low = G_MAXINT64, high = 0;
    for (guint i = 0; i < 2000; i++) {
      gint64 ms = sipd_keepalive_interval_ms (clock, TRUE, cases[c].flow_timer, cases[c].configured);
      low = MIN (low, ms);
      high = MAX (high, ms);
    }
    g_assert_cmpint (low, >=, cases[c].base * 800);
    g_assert_cmpint (high, <=, cases[c].base * 1000);
    /* really spread over the range, not a constant */
    g_assert_cmpint (low, <, cases[c].base * 820);
    g_assert_cmpint (high, >, cases[c].base * 980);
  }
}

/* RFC 5626 §4.5 */

/* What Flows shows as "keep-alive-s": the longest interval the draw can give. */
static void
test_keepalive_longest_is_the_top_of_the_draw (void)
{
  g_assert_cmpuint (sipd_keepalive_longest_s (TRUE, 0, 0), ==, 120);
  g_assert_cmpuint (sipd_keepalive_longest_s (FALSE, 0, 0), ==, 29);
  g_assert_cmpuint (sipd_keepalive_longest_s (TRUE, 90, 0), ==, 90);
  g_assert_cmpuint (sipd_keepalive_longest_s (FALSE, 0, 20), ==, 20);
  g_assert_cmpuint (sipd_keepalive_longest_s (TRUE, 90, 30), ==, 30);
  g_assert_cmpuint (sipd_keepalive_longest_s (TRUE, 20, 30), ==, 20);
}

static void
test_backoff_upper_bound_doubles_from_its_base_up_to_1800_s (void)
{
  g_assert_cmpint (sipd_backoff_upper_bound_ms (0, TRUE), ==, 30000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (1, TRUE), ==, 60000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (3, TRUE), ==, 240000); /* the RFC's example */
  g_assert_cmpint (sipd_backoff_upper_bound_ms (6, TRUE), ==, 1800000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (40, TRUE), ==, 1800000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (0, FALSE), ==, 90000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (2, FALSE), ==, 360000);
  g_assert_cmpint (sipd_backoff_upper_bound_ms (5, FALSE), ==, 1800000);
}

static void
test_backoff_waits_50_to_100_percent_of_the_bound (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (3);
  gint64 low = G_MAXINT64, high = 0;

  for (guint i = 0; i < 2000; i++) {
    gint64 ms = sipd_backoff_delay_ms (clock, 3, TRUE, 0, 100);
    low = MIN (low, ms);
    high = MAX (high, ms);
  }
  g_assert_cmpint (low, >=, 120000);
  g_assert_cmpint (high, <=, 240000);
  g_assert_cmpint (low, <, 125000);
  g_assert_cmpint (high, >, 235000);
}

static void
test_backoff_honours_retry_after (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (3);

  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (sipd_backoff_delay_ms (clock, 0, TRUE, 600, 100), ==, 600000);
  /* a short Retry-After does not shorten the back-off */
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (sipd_backoff_delay_ms (clock, 0, TRUE, 1, 100), >=, 15000);
}

static void
test_backoff_scales_down_for_labs_only_when_asked (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (3);

  for (guint i = 0; i < 100; i++) {
    gint64 ms = sipd_backoff_delay_ms (clock, 0, TRUE, 0, 10);
    g_assert_cmpint (ms, >=, 1500);
    g_assert_cmpint (ms, <=, 3000);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/clock/fake-clock-fires-timers-in-deadline-order",
                   test_fake_clock_fires_timers_in_deadline_order);
  g_test_add_func ("/sipd/clock/timer-restarted-from-its-callback-fires-again-within-one-advance",
                   test_timer_restarted_from_its_callback_fires_again_within_one_advance);
  g_test_add_func ("/sipd/clock/stopped-timer-does-not-fire", test_stopped_timer_does_not_fire);
  g_test_add_func ("/sipd/clock/real-clock-fires-on-the-main-loop", test_real_clock_fires_on_the_main_loop);
  g_test_add_func ("/sipd/keepalive/without-flow-timer-or-config-follows-rfc-5626-recommendation",
                   test_keepalive_without_flow_timer_or_config_follows_rfc_recommendation);
  g_test_add_func ("/sipd/keepalive/is-80-to-100-percent-of-the-smaller-timer",
                   test_keepalive_is_80_to_100_percent_of_the_smaller_timer);
  g_test_add_func ("/sipd/keepalive/longest-is-the-top-of-the-draw", test_keepalive_longest_is_the_top_of_the_draw);
  g_test_add_func ("/sipd/backoff/upper-bound-doubles-from-its-base-up-to-1800-s",
                   test_backoff_upper_bound_doubles_from_its_base_up_to_1800_s);
  g_test_add_func ("/sipd/backoff/waits-50-to-100-percent-of-the-bound",
                   test_backoff_waits_50_to_100_percent_of_the_bound);
  g_test_add_func ("/sipd/backoff/honours-retry-after", test_backoff_honours_retry_after);
  g_test_add_func ("/sipd/backoff/scales-down-for-labs-only-when-asked",
                   test_backoff_scales_down_for_labs_only_when_asked);
  return g_test_run ();
}
