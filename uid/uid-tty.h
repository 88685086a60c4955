/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phone's screen on a terminal (uid --tty): the rows of uid-screen.h
 * drawn whole whenever they change, in colour unless NO_COLOR is set or the
 * terminal is dumb (then as plain text, one frame after another), and the
 * keys typed there handed back one by one, unechoed. The terminal is left as
 * it was found. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _UidTty UidTty;
typedef void (*UidTtyKeyFunc) (char key, gpointer user_data);

UidTty *uid_tty_new (int in_fd, int out_fd, UidTtyKeyFunc key, gpointer user_data);
void uid_tty_free (UidTty *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UidTty, uid_tty_free)

/* of UidRow; drawn only when they differ from what is on the screen */
void uid_tty_draw (UidTty *self, GPtrArray *rows);

G_END_DECLS
