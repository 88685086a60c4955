/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A SIP MESSAGE from a line (Line1.SendMessage): text/plain, routed as a new
 * call is (sipd_line_get_request_path), with credentials for a 401 or 407,
 * and its final answer told in words. */
#pragma once

#include "sipd-line.h"

G_BEGIN_DECLS

#define SIPD_MAX_MESSAGE_TEXT 4096 /* RFC 3428 §11: a MESSAGE is no place for a large body */

typedef void (*SipdMessageOutFunc) (const char *result, gpointer user_data);

/* FALSE, with the reason, when it cannot go at all. Else func is called once,
 * from the main loop, with "200 OK", "404 Not Found" or why nothing came. */
gboolean sipd_message_out_send (SipdStack *stack,
                                SipdLine *line,
                                const char *user_agent,
                                const char *uri,
                                const char *text,
                                SipdMessageOutFunc func,
                                gpointer user_data,
                                GError **error);

G_END_DECLS
