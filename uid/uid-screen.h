/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the phone's screen words the state of its lines: pure functions, so the
 * tests can check every wording without a bus. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint index;
  const char *aor; /* "sip:user@host" */
  const char *screen_name;
  const char *state; /* Line1.State */
  gboolean on_backup;
} UidLineInfo;

const char *uid_screen_status_words (const char *state);
char *uid_screen_label (const UidLineInfo *line);
const char *uid_screen_network_words (gboolean sip_service, const char *network);
char *uid_screen_line_row (const UidLineInfo *line);

G_END_DECLS
