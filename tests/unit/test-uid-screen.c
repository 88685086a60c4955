/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the phone's screen words line and network states. */
#include "uid-screen.h"

static void
test_each_line_state_has_screen_words (void)
{
  g_assert_cmpstr (uid_screen_status_words ("disabled"), ==, "Disabled");
  g_assert_cmpstr (uid_screen_status_words ("unregistered"), ==, "Not Registered");
  g_assert_cmpstr (uid_screen_status_words ("registering"), ==, "Registering");
  g_assert_cmpstr (uid_screen_status_words ("registered"), ==, "Registered");
  g_assert_cmpstr (uid_screen_status_words ("failed"), ==, "No Service");
  g_assert_cmpstr (uid_screen_status_words ("bogus"), ==, "Unknown");
  g_assert_cmpstr (uid_screen_status_words (NULL), ==, "Unknown");
}

static void
test_label_is_screen_name_else_user_of_aor (void)
{
  UidLineInfo line = { .index = 1, .aor = "sip:1001@pbx.example.com", .screen_name = "" };
  g_autofree char *user = uid_screen_label (&line);
  g_autofree char *named = NULL;

  g_assert_cmpstr (user, ==, "1001");
  line.screen_name = "Reception";
  named = uid_screen_label (&line);
  g_assert_cmpstr (named, ==, "Reception");
}

static void
test_row_shows_backup_only_when_registered (void)
{
  UidLineInfo line = { .index = 2, .aor = "sip:1002@pbx", .screen_name = "Désk", .state = "registered",
                       .on_backup = TRUE };
  g_autofree char *registered = uid_screen_line_row (&line);
  g_autofree char *registering = NULL;

  /* the label is padded to 16 characters, not bytes */
  g_assert_cmpstr (registered, ==, "L2 Désk             Registered (Backup)");
  line.state = "registering";
  registering = uid_screen_line_row (&line);
  g_assert_cmpstr (registering, ==, "L2 Désk             Registering");
}

static void
test_status_row_puts_network_loss_first (void)
{
  g_assert_cmpstr (uid_screen_network_words (TRUE, "none"), ==, "Network Disconnected");
  g_assert_cmpstr (uid_screen_network_words (FALSE, "none"), ==, "Network Disconnected");
  g_assert_cmpstr (uid_screen_network_words (FALSE, "full"), ==, "No SIP Service");
  g_assert_cmpstr (uid_screen_network_words (TRUE, "limited"), ==, "Network Limited");
  g_assert_cmpstr (uid_screen_network_words (TRUE, "full"), ==, "Ready");
  g_assert_cmpstr (uid_screen_network_words (TRUE, "unknown"), ==, "Network Unknown");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uid/screen/each-line-state-has-screen-words", test_each_line_state_has_screen_words);
  g_test_add_func ("/uid/screen/label-is-screen-name-else-user-of-aor",
                   test_label_is_screen_name_else_user_of_aor);
  g_test_add_func ("/uid/screen/row-shows-backup-only-when-registered",
                   test_row_shows_backup_only_when_registered);
  g_test_add_func ("/uid/screen/status-row-puts-network-loss-first",
                   test_status_row_puts_network_loss_first);
  return g_test_run ();
}
