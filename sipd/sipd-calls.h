/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The calls of every line: made by Line1.Dial() and by INVITEs that ring,
 * exported on the object manager as /org/keepline/Sip/Call/N, listed in
 * Manager1.Calls, and removed a while after they end. Requests of a call
 * (in its dialog, or a CANCEL of its INVITE) go to it; a line that changes
 * lets its waiting calls try again. */
#pragma once

#include "kl-config.h"
#include "sipd-call.h"

G_BEGIN_DECLS

#define SIPD_MAX_CALLS 32 /* at once, all lines: a phone has a handful; strangers cannot make more */
#define SIPD_MAX_RINGING_PER_LINE 4 /* a person answers one; a server gone mad must not fill the phone */

typedef struct _SipdCalls SipdCalls;

SipdCalls *sipd_calls_new (SipdLineContext *context,
                           GDBusObjectManagerServer *object_manager,
                           KlSipManager1 *manager);
void sipd_calls_free (SipdCalls *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdCalls, sipd_calls_free)

void sipd_calls_set_config (SipdCalls *self, KlConfig *config);

/* The new call's object path, or NULL with the reason. */
const char *sipd_calls_dial (SipdCalls *self, SipdLine *line, const char *uri, const char *sdp, GError **error);
/* A new INVITE for the line: it rings, or is answered 486 (busy, no call
 * waiting, too many calls). The object path of the call that rings, or NULL. */
const char *sipd_calls_ring (SipdCalls *self, SipdLine *line, SipdFlow *flow, SipdMessage *invite);
/* TRUE when the request belonged to a call, which answered it. */
gboolean sipd_calls_handle_request (SipdCalls *self, SipdFlow *flow, SipdMessage *request);
void sipd_calls_line_changed (SipdCalls *self, guint line);
SipdCall *sipd_calls_find (SipdCalls *self, const char *object_path);
/* Ends every call, as before sipd stops or its stack is made again. */
void sipd_calls_end_all (SipdCalls *self, const char *reason);
/* Ends every call and drops it at once, before the stack is made again. */
void sipd_calls_drop_all (SipdCalls *self, const char *reason);
guint sipd_calls_count (SipdCalls *self);

G_END_DECLS
