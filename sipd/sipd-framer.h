/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splits the byte stream of a TCP or TLS flow into SIP messages (by
 * Content-Length, RFC 3261 §18.3) and RFC 5626 keep-alives: a CRLF pong, a
 * CRLFCRLF ping. A stream it cannot frame — no end of headers within the
 * largest message, a missing, doubled or unreadable Content-Length, more
 * bytes waiting than two messages — is an error with a reason, for good:
 * where one message ends is no longer known, so the flow must fail. It
 * consumes by offset, so a buffer of many messages is framed in linear time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIPD_FRAMER_MAX_MESSAGE (64 * 1024)
#define SIPD_FRAMER_MAX_BUFFERED (2 * SIPD_FRAMER_MAX_MESSAGE) /* a whole message and the start of the next */

typedef enum {
  SIPD_FRAME_NEED_MORE,
  SIPD_FRAME_MESSAGE,
  SIPD_FRAME_PONG,
  SIPD_FRAME_PING,
  SIPD_FRAME_ERROR, /* for good; see the reason */
} SipdFrameKind;

typedef struct _SipdFramer SipdFramer;

SipdFramer *sipd_framer_new (void);
void sipd_framer_free (SipdFramer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdFramer, sipd_framer_free)

/* FALSE, and an error from now on, when more than SIPD_FRAMER_MAX_BUFFERED
 * bytes would wait. */
gboolean sipd_framer_push (SipdFramer *self, const guint8 *data, gsize length);
SipdFrameKind sipd_framer_next (SipdFramer *self, GBytes **ret_message, char **ret_reason);
gsize sipd_framer_get_buffered (SipdFramer *self);

G_END_DECLS
