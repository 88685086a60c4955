/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bodies of the NOTIFYs the phone subscribes to: message-summary (RFC 3842)
 * for MWI and dialog-info (RFC 4235) for BLF. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean waiting;
  guint new_messages;
  guint old_messages;
} SipdMwiSummary;

gboolean sipd_mwi_parse (const char *body, gsize length, SipdMwiSummary *ret_summary, char **ret_reason);
const char *sipd_blf_parse (const char *body, gsize length, char **ret_reason);

G_END_DECLS
