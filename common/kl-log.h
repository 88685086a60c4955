/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Structured logging with one identifying field (LINE=, FLOW=) that journald
 * keeps apart and the message repeats for people reading stderr. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_PRINTF (6, 0)
void kl_log_with_field (const char *domain,
                        GLogLevelFlags level,
                        const char *field,
                        guint value,
                        const char *prefix,
                        const char *format,
                        va_list args);

G_END_DECLS
