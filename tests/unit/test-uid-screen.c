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

static char *
text_of (GPtrArray *rows)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (text, "%s\n", ((UidRow *) g_ptr_array_index (rows, i))->text);
  return g_string_free (text, FALSE);
}

static const UidLineInfo two_lines[] = {
  { .index = 1, .aor = "sip:1001@pbx", .screen_name = "Alice", .state = "registered", .on_backup = TRUE,
    .registrar = "127.0.0.3:5060", .new_messages = 3, .old_messages = 1, .messages_waiting = TRUE },
  { .index = 2, .aor = "sip:1002@pbx", .screen_name = "", .state = "failed", .registrar = "" },
};

static void
test_the_idle_screen_shows_lines_voicemail_lamps_and_network (void)
{
  const UidLamp lamps[] = { { "1003", "confirmed" }, { "1004", "idle" }, { "1005", "early" } };
  UidScreenModel model = { .sip_service = TRUE, .network = "full", .network_reason = "eth0 up",
                           .lines = two_lines, .n_lines = 2, .lamps = lamps, .n_lamps = 3 };
  g_autoptr (GPtrArray) rows = uid_screen_render (&model);
  g_autofree char *text = text_of (rows);

  g_assert_cmpstr (text, ==,
                   "Ready   Voicemail: 3 new\n"
                   "L1 Alice            Registered (Backup)  at 127.0.0.3:5060  3 new messages\n"
                   "L2 1002             No Service\n"
                   "BLF:  1003 busy  1004 idle  1005 ringing\n");
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, 0))->kind, ==, UID_ROW_STATUS);
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, 3))->kind, ==, UID_ROW_LAMPS);
}

static void
test_a_lost_network_says_why (void)
{
  UidScreenModel model = { .sip_service = TRUE, .network = "none", .network_reason = "no carrier on eth0" };
  g_autoptr (GPtrArray) rows = uid_screen_render (&model);

  g_assert_cmpstr (((UidRow *) g_ptr_array_index (rows, 0))->text, ==, "Network Disconnected (no carrier on eth0)");
}

static void
test_calls_show_with_their_soft_keys (void)
{
  const UidCallInfo calls[] = {
    { .line = 1, .direction = "outgoing", .state = "active", .remote_uri = "sip:1002@pbx", .remote_name = "",
      .start_time_s = 1000 },
    { .line = 1, .direction = "incoming", .state = "ringing", .remote_uri = "sip:2000@pbx", .remote_name = "Bob" },
  };
  UidScreenModel model = { .sip_service = TRUE, .network = "full", .lines = two_lines, .n_lines = 1,
                           .calls = calls, .n_calls = 2, .notice = "Line 1 moved to its backup: reset",
                           .now_s = 1000 + 83 };
  g_autoptr (GPtrArray) rows = uid_screen_render (&model);
  g_autofree char *text = text_of (rows);
  gint call;

  g_assert_cmpstr (text, ==,
                   "Ready   Voicemail: 3 new\n"
                   "L1 Alice            Registered (Backup)  at 127.0.0.3:5060  3 new messages\n"
                   "L1 to sip:1002@pbx: active 01:23\n"
                   "Incoming call on L1 from Bob <sip:2000@pbx>\n"
                   "Line 1 moved to its backup: reset\n"
                   "[1] Answer  [2] Reject  [3] Hang up\n");
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, 3))->kind, ==, UID_ROW_ALERT);
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, 5))->kind, ==, UID_ROW_KEYS);

  g_assert_cmpint (uid_screen_key_action (&model, '1', &call), ==, UID_KEY_ANSWER);
  g_assert_cmpint (call, ==, 1);
  g_assert_cmpint (uid_screen_key_action (&model, '2', &call), ==, UID_KEY_REJECT);
  g_assert_cmpint (call, ==, 1);
  g_assert_cmpint (uid_screen_key_action (&model, '3', &call), ==, UID_KEY_HANG_UP);
  g_assert_cmpint (call, ==, 0);
  g_assert_cmpint (uid_screen_key_action (&model, 'x', &call), ==, UID_KEY_NONE);
  model.n_calls = 1; /* nothing rings: 1 does nothing */
  g_assert_cmpint (uid_screen_key_action (&model, '1', &call), ==, UID_KEY_NONE);
  g_assert_cmpint (call, ==, -1);
}

/* 80 columns by 24 rows, whatever comes: a long name is cut by characters,
 * calls past the room left are not shown, the keys row stays. */
static void
test_the_screen_fits_80_by_24 (void)
{
  UidLineInfo lines[9];
  UidCallInfo calls[32];
  g_autofree char *long_name = g_strnfill (200, 'x');
  UidScreenModel model = { .sip_service = TRUE, .network = "full", .lines = lines, .n_lines = 9, .calls = calls,
                           .n_calls = 32, .notice = long_name };
  g_autoptr (GPtrArray) rows = NULL;

  for (guint i = 0; i < 9; i++)
    lines[i] = (UidLineInfo) { .index = i + 1, .aor = "sip:1001@pbx", .screen_name = "Ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé", .state = "registered" };
  for (guint i = 0; i < 32; i++)
    calls[i] = (UidCallInfo) { .line = 1, .direction = "incoming", .state = "ringing", .remote_uri = long_name };
  rows = uid_screen_render (&model);
  g_assert_cmpuint (rows->len, ==, UID_SCREEN_ROWS);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpint (g_utf8_strlen (((UidRow *) g_ptr_array_index (rows, i))->text, -1), <=, UID_SCREEN_COLUMNS);
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, rows->len - 1))->kind, ==, UID_ROW_KEYS);
  g_assert_cmpint (((UidRow *) g_ptr_array_index (rows, rows->len - 2))->kind, ==, UID_ROW_NOTICE);
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
  g_test_add_func ("/uid/screen/the-idle-screen-shows-lines-voicemail-lamps-and-network",
                   test_the_idle_screen_shows_lines_voicemail_lamps_and_network);
  g_test_add_func ("/uid/screen/a-lost-network-says-why", test_a_lost_network_says_why);
  g_test_add_func ("/uid/screen/calls-show-with-their-soft-keys", test_calls_show_with_their_soft_keys);
  g_test_add_func ("/uid/screen/the-screen-fits-80-by-24", test_the_screen_fits_80_by_24);
  return g_test_run ();
}
