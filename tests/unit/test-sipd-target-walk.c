/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The targets of a server as a keeper walks them, on a fake clock: in order;
 * one that failed is passed over for its Retry-After or the default, then
 * tried first again; when all failed, the first of all. */
#include "sipd-target-walk.h"

static KlSipTargets *
three_targets (void)
{
  KlSipTargets *targets = kl_sip_targets_new (60, "SRV");

  for (guint i = 0; i < 3; i++) {
    g_autofree char *text = g_strdup_printf ("127.0.0.%u", 2 + i);
    g_autoptr (GInetAddress) address = g_inet_address_new_from_string (text);
    kl_sip_targets_add (targets, text, address, 5060, (guint16) (10 * (i + 1)), 0);
  }
  return targets;
}

static const char *
current (SipdTargetWalk *walk)
{
  return sipd_target_walk_current (walk)->host;
}

static void
test_a_failed_target_is_passed_over_for_a_while (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (SipdTargetWalk) walk = sipd_target_walk_new (clock, 100);
  KlSipTargets *targets = three_targets ();

  g_assert_true (sipd_target_walk_is_empty (walk));
  g_assert_null (sipd_target_walk_current (walk));
  sipd_target_walk_set (walk, targets);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");

  /* a 503 with Retry-After: 60 */
  sipd_target_walk_fail (walk, 60);
  g_assert_true (sipd_target_walk_next (walk));
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  kl_clock_advance (clock, 60 * 1000);
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");

  /* flows fail: the default, scaled by 100 % */
  sipd_target_walk_fail (walk, 0);
  kl_clock_advance (clock, SIPD_TARGET_WALK_SKIP_S * 1000 - 1);
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  kl_clock_advance (clock, 1);
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
  kl_sip_targets_free (targets);
}

static void
test_when_every_target_failed_the_first_is_tried (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (SipdTargetWalk) walk = sipd_target_walk_new (clock, 100);
  KlSipTargets *targets = three_targets ();

  sipd_target_walk_set (walk, targets);
  for (guint i = 0; i < 3; i++) {
    sipd_target_walk_fail (walk, 0);
    g_assert_cmpint (sipd_target_walk_next (walk), ==, i < 2);
  }
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
  /* the same targets again do not restart the walk; new ones do */
  g_assert_true (sipd_target_walk_next (walk));
  sipd_target_walk_set (walk, targets);
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  kl_sip_targets_free (targets);
}

/* A probe of the targets preferred to the one in use walks only those. */
static void
test_a_probe_walks_only_the_better_priorities (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (SipdTargetWalk) walk = sipd_target_walk_new (clock, 100);
  g_autoptr (KlSipTargets) targets = three_targets ();

  sipd_target_walk_keep_below (walk, 30);
  sipd_target_walk_set (walk, targets);
  g_assert_cmpuint (sipd_target_walk_get_targets (walk)->targets->len, ==, 2);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
  g_assert_true (sipd_target_walk_next (walk));
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  g_assert_false (sipd_target_walk_next (walk));

  /* none better than the best: nothing to walk */
  sipd_target_walk_keep_below (walk, 10);
  g_assert_cmpuint (sipd_target_walk_get_targets (walk)->targets->len, ==, 2);
  sipd_target_walk_set (walk, targets);
  g_assert_true (sipd_target_walk_is_empty (walk));
  g_assert_null (sipd_target_walk_current (walk));
}

/* A return starts at the target a probe found alive, even one that failed
 * a moment ago, and only once: after that the walk is as before. */
static void
test_a_return_starts_at_the_target_found_alive (void)
{
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  g_autoptr (SipdTargetWalk) walk = sipd_target_walk_new (clock, 100);
  g_autoptr (KlSipTargets) targets = three_targets ();
  const KlSipTarget *second = g_ptr_array_index (targets->targets, 1);

  /* before any lookup, as a new keeper is */
  sipd_target_walk_start_at (walk, second);
  sipd_target_walk_set (walk, targets);
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");

  /* a target passed over is not, once a probe found it alive */
  g_assert_true (sipd_target_walk_next (walk));
  sipd_target_walk_fail (walk, 600);
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
  sipd_target_walk_start_at (walk, second);
  g_assert_cmpstr (current (walk), ==, "127.0.0.3");
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
  g_assert_true (sipd_target_walk_next (walk));
  sipd_target_walk_fail (walk, 0);
  sipd_target_walk_restart (walk);
  g_assert_cmpstr (current (walk), ==, "127.0.0.2");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/target-walk/a-failed-target-is-passed-over-for-a-while",
                   test_a_failed_target_is_passed_over_for_a_while);
  g_test_add_func ("/sipd/target-walk/when-every-target-failed-the-first-is-tried",
                   test_when_every_target_failed_the_first_is_tried);
  g_test_add_func ("/sipd/target-walk/a-probe-walks-only-the-better-priorities",
                   test_a_probe_walks_only_the_better_priorities);
  g_test_add_func ("/sipd/target-walk/a-return-starts-at-the-target-found-alive",
                   test_a_return_starts_at_the_target_found_alive);
  return g_test_run ();
}
