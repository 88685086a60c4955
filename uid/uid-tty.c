/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "uid-tty"

#include "uid-tty.h"

#include <glib-unix.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "uid-screen.h"

#define CLEAR "\033[H\033[2J"
#define RESET "\033[0m"
#define SHOW_CURSOR "\033[?25h"
#define HIDE_CURSOR "\033[?25l"

struct _UidTty {
  int in_fd;
  int out_fd;
  gboolean colour;
  gboolean raw; /* saved holds the terminal as it was */
  struct termios saved;
  guint input;
  UidTtyKeyFunc key;
  gpointer user_data;
  char *shown; /* the frame on the screen */
};

static gboolean
wants_colour (int out_fd)
{
  const char *term = g_getenv ("TERM");

  return isatty (out_fd) && g_getenv ("NO_COLOR") == NULL && term != NULL && *term != '\0' &&
         g_strcmp0 (term, "dumb") != 0;
}

static void
write_all (UidTty *self, const char *text, gsize length)
{
  while (length > 0) {
    ssize_t written = write (self->out_fd, text, length);
    if (written <= 0)
      return; /* the terminal went away: nothing more to show */
    text += written;
    length -= (gsize) written;
  }
}

static gboolean
on_input (int fd, GIOCondition condition, gpointer user_data)
{
  UidTty *self = user_data;
  char keys[64];
  ssize_t got = read (fd, keys, sizeof keys);

  if (got <= 0) {
    self->input = 0;
    return G_SOURCE_REMOVE; /* end of input: the screen goes on without keys */
  }
  for (ssize_t i = 0; i < got; i++)
    self->key (keys[i], self->user_data);
  return G_SOURCE_CONTINUE;
}

UidTty *
uid_tty_new (int in_fd, int out_fd, UidTtyKeyFunc key, gpointer user_data)
{
  UidTty *self = g_new0 (UidTty, 1);

  self->in_fd = in_fd;
  self->out_fd = out_fd;
  self->colour = wants_colour (out_fd);
  self->key = key;
  self->user_data = user_data;
  if (isatty (in_fd) && tcgetattr (in_fd, &self->saved) == 0) {
    struct termios raw = self->saved;
    raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    self->raw = tcsetattr (in_fd, TCSANOW, &raw) == 0;
  }
  self->input = g_unix_fd_add (in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, self);
  if (self->colour)
    write_all (self, HIDE_CURSOR, strlen (HIDE_CURSOR));
  return self;
}

void
uid_tty_free (UidTty *self)
{
  if (self->input != 0)
    g_source_remove (self->input);
  if (self->raw)
    tcsetattr (self->in_fd, TCSANOW, &self->saved);
  if (self->colour)
    write_all (self, RESET SHOW_CURSOR "\n", strlen (RESET SHOW_CURSOR "\n"));
  g_free (self->shown);
  g_free (self);
}

static const char *
style_of (UidRowKind kind)
{
  switch (kind) {
  case UID_ROW_STATUS:
    return "\033[1;7m";
  case UID_ROW_ALERT:
    return "\033[1;33m";
  case UID_ROW_NOTICE:
    return "\033[36m";
  case UID_ROW_KEYS:
    return "\033[7m";
  case UID_ROW_LINE:
  case UID_ROW_LAMPS:
  case UID_ROW_CALL:
    return "";
  }
  return "";
}

void
uid_tty_draw (UidTty *self, GPtrArray *rows)
{
  g_autoptr (GString) plain = g_string_new (NULL);
  g_autoptr (GString) frame = g_string_new (self->colour ? CLEAR : "");

  for (guint i = 0; i < rows->len; i++) {
    const UidRow *row = g_ptr_array_index (rows, i);
    g_string_append_printf (plain, "%s\n", row->text);
    if (self->colour)
      g_string_append_printf (frame, "%s%s" RESET "\r\n", style_of (row->kind), row->text);
    else
      g_string_append_printf (frame, "%s\n", row->text);
  }
  if (g_strcmp0 (plain->str, self->shown) == 0)
    return;
  g_free (self->shown);
  self->shown = g_strdup (plain->str);
  if (!self->colour)
    g_string_append (frame, "--\n"); /* where one plain frame ends */
  write_all (self, frame->str, frame->len);
}
