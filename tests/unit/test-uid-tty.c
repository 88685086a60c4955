/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The screen on something that is not a colour terminal (a pipe here, as
 * with NO_COLOR or TERM=dumb): plain rows, one frame after another, each
 * drawn only when it changed; and the keys typed reach the screen. */
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "uid-screen.h"
#include "uid-tty.h"

static void
on_key (char key, gpointer user_data)
{
  g_string_append_c (user_data, key);
}

static char *
read_all (int fd)
{
  char buffer[4096];
  ssize_t got = read (fd, buffer, sizeof buffer);

  return got > 0 ? g_strndup (buffer, (gsize) got) : g_strdup ("");
}

static void
test_a_pipe_gets_plain_frames_once_each_and_gives_keys (void)
{
  int keys[2], frames[2];
  g_autoptr (GString) pressed = g_string_new (NULL);
  UidScreenModel model = { .sip_service = TRUE, .network = "full" };
  g_autoptr (GPtrArray) rows = uid_screen_render (&model);
  g_autoptr (UidTty) tty = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_assert_true (g_unix_open_pipe (keys, 0, NULL));
  g_assert_true (g_unix_open_pipe (frames, 0, NULL));
  g_assert_true (g_unix_set_fd_nonblocking (frames[0], TRUE, NULL));
  tty = uid_tty_new (keys[0], frames[1], on_key, pressed);

  uid_tty_draw (tty, rows);
  first = read_all (frames[0]);
  g_assert_cmpstr (first, ==, "Ready\n--\n");
  uid_tty_draw (tty, rows); /* the same: nothing written */
  second = read_all (frames[0]);
  g_assert_cmpstr (second, ==, "");

  g_assert_cmpint (write (keys[1], "13", 2), ==, 2);
  while (pressed->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (pressed->str, ==, "13");

  g_clear_pointer (&tty, uid_tty_free);
  for (guint i = 0; i < 2; i++) {
    close (keys[i]);
    close (frames[i]);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uid/tty/a-pipe-gets-plain-frames-once-each-and-gives-keys",
                   test_a_pipe_gets_plain_frames_once_each_and_gives_keys);
  return g_test_run ();
}
