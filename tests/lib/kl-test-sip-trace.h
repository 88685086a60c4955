/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a far end of a test (baresip, sipp) received, read from the trace of
 * SIP messages it writes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ENTRY: the text between two separators of the trace (it may be changed);
 * returns the message in it, from its start line, if the far end received
 * it, else NULL. */
typedef char *(*KlTestSipTraceReceived) (char *entry, gpointer user_data);

guint kl_test_sip_trace_count_invites (const char *file,
                                       const char *separator,
                                       KlTestSipTraceReceived received,
                                       gpointer user_data,
                                       GPtrArray *ret_call_ids);

G_END_DECLS
