/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tokens a stranger must not guess come from the kernel, not from GLib's
 * Mersenne Twister: with GLib's generator seeded the same way twice, the
 * tokens differ, as they would not if they came from it; and the draws
 * below a bound cover the range without leaving it. */
#include <string.h>

#include "kl-random.h"
#include "sipd-message.h"

static char *
glib_token (guint length)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char *token = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    token[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  token[length] = '\0';
  return token;
}

static void
test_tokens_do_not_follow_glib_s_generator (void)
{
  g_autofree char *glib = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *again = NULL;

  g_random_set_seed (42);
  glib = glib_token (16);
  g_random_set_seed (42);
  ours = sipd_random_token (16);
  g_random_set_seed (42);
  again = sipd_random_token (16);
  g_assert_cmpuint (strlen (ours), ==, 16);
  g_assert_cmpstr (ours, !=, glib);
  g_assert_cmpstr (again, !=, ours);
}

static void
test_draws_cover_the_range_and_stay_in_it (void)
{
  guint seen[36] = { 0 };

  for (guint i = 0; i < 36 * 200; i++) {
    guint32 value = kl_random_below (36);
    g_assert_cmpuint (value, <, 36);
    seen[value]++;
  }
  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    g_assert_cmpuint (seen[i], >, 0);
  g_assert_cmpuint (kl_random_below (1), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/random/tokens-do-not-follow-glib-s-generator", test_tokens_do_not_follow_glib_s_generator);
  g_test_add_func ("/random/draws-cover-the-range-and-stay-in-it", test_draws_cover_the_range_and_stay_in_it);
  return g_test_run ();
}
