/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-framer.h"

#include <string.h>

struct _SipdFramer {
  GByteArray *buffer;
  gsize start;  /* what comes before is consumed */
  char *error;  /* set once framing failed */
};

SipdFramer *
sipd_framer_new (void)
{
  SipdFramer *self = g_new0 (SipdFramer, 1);

  self->buffer = g_byte_array_new ();
  return self;
}

void
sipd_framer_free (SipdFramer *self)
{
  g_byte_array_unref (self->buffer);
  g_free (self->error);
  g_free (self);
}

gsize
sipd_framer_get_buffered (SipdFramer *self)
{
  return self->buffer->len - self->start;
}

gboolean
sipd_framer_push (SipdFramer *self, const guint8 *data, gsize length)
{
  if (self->error != NULL)
    return FALSE;
  if (sipd_framer_get_buffered (self) + length > SIPD_FRAMER_MAX_BUFFERED) {
    self->error = g_strdup_printf ("more than %d bytes without a whole message", SIPD_FRAMER_MAX_BUFFERED);
    return FALSE;
  }
  if (self->start > 0) {
    /* once per push, not per message: the rest moves to the front */
    g_byte_array_remove_range (self->buffer, 0, (guint) self->start);
    self->start = 0;
  }
  g_byte_array_append (self->buffer, data, (guint) length);
  return TRUE;
}

static const guint8 *
find (const guint8 *haystack, gsize length, const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= length; i++) {
    if (memcmp (haystack + i, needle, n) == 0)
      return haystack + i;
  }
  return NULL;
}

typedef enum {
  LENGTH_FOUND,
  LENGTH_MISSING,
  LENGTH_UNREADABLE,
  LENGTH_TWICE,
} LengthResult;

static gboolean
is_content_length (const guint8 *name, gsize length)
{
  while (length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t'))
    length--;
  return (length == 14 && g_ascii_strncasecmp ((const char *) name, "Content-Length", 14) == 0) ||
         (length == 1 && g_ascii_tolower (name[0]) == 'l');
}

/* The value of one Content-Length header line, or -1. */
static gint64
parse_length (const guint8 *p, const guint8 *eol)
{
  gint64 value = 0;

  for (; p < eol && (*p == ' ' || *p == '\t'); p++)
    ;
  if (p == eol || !g_ascii_isdigit (*p))
    return -1;
  for (; p < eol && g_ascii_isdigit (*p); p++) {
    value = value * 10 + (*p - '0');
    if (value > SIPD_FRAMER_MAX_MESSAGE)
      return -1;
  }
  for (; p < eol && (*p == ' ' || *p == '\t'); p++)
    ;
  return p == eol ? value : -1;
}

/* Content-Length (or its compact form "l") of a header block. */
static LengthResult
content_length (const guint8 *headers, gsize length, gint64 *ret_value)
{
  const guint8 *line = headers;
  const guint8 *end = headers + length;
  gboolean found = FALSE;

  while (line < end) {
    const guint8 *eol = find (line, end - line, "\r\n");
    const guint8 *colon;

    if (eol == NULL)
      eol = end;
    colon = memchr (line, ':', eol - line);
    if (colon != NULL && is_content_length (line, colon - line)) {
      if (found)
        return LENGTH_TWICE;
      *ret_value = parse_length (colon + 1, eol);
      if (*ret_value < 0)
        return LENGTH_UNREADABLE;
      found = TRUE;
    }
    line = eol + 2;
  }
  return found ? LENGTH_FOUND : LENGTH_MISSING;
}

static SipdFrameKind
fail (SipdFramer *self, char **ret_reason, const char *reason)
{
  self->error = g_strdup (reason);
  *ret_reason = g_strdup (reason);
  return SIPD_FRAME_ERROR;
}

SipdFrameKind
sipd_framer_next (SipdFramer *self, GBytes **ret_message, char **ret_reason)
{
  gsize length = sipd_framer_get_buffered (self);
  const guint8 *data;
  const guint8 *header_end;
  gsize header_length;
  gint64 body_length = 0;

  if (self->error != NULL) {
    *ret_reason = g_strdup (self->error);
    return SIPD_FRAME_ERROR;
  }
  if (length == 0)
    return SIPD_FRAME_NEED_MORE; /* and the buffer may not even be allocated */
  data = self->buffer->data + self->start;
  if (length >= 4 && memcmp (data, "\r\n\r\n", 4) == 0) {
    self->start += 4;
    return SIPD_FRAME_PING;
  }
  if (length >= 2 && memcmp (data, "\r\n", 2) == 0) {
    self->start += 2;
    return SIPD_FRAME_PONG;
  }
  if (data[0] == '\r' && length == 1)
    return SIPD_FRAME_NEED_MORE;

  header_end = find (data, MIN (length, SIPD_FRAMER_MAX_MESSAGE), "\r\n\r\n");
  if (header_end == NULL) {
    g_autofree char *reason = NULL;

    if (length < SIPD_FRAMER_MAX_MESSAGE)
      return SIPD_FRAME_NEED_MORE;
    reason = g_strdup_printf ("no end of headers in %d bytes", SIPD_FRAMER_MAX_MESSAGE);
    return fail (self, ret_reason, reason);
  }
  header_length = header_end - data + 4;

  switch (content_length (data, header_length - 4, &body_length)) {
  case LENGTH_FOUND:
    break;
  case LENGTH_MISSING:
    return fail (self, ret_reason, "a message without Content-Length on a stream (RFC 3261 §18.3)");
  case LENGTH_UNREADABLE:
    return fail (self, ret_reason, "unreadable Content-Length");
  case LENGTH_TWICE:
    return fail (self, ret_reason, "Content-Length twice");
  }
  if (length < header_length + (gsize) body_length)
    return SIPD_FRAME_NEED_MORE;

  *ret_message = g_bytes_new (data, header_length + (gsize) body_length);
  self->start += header_length + (gsize) body_length;
  return SIPD_FRAME_MESSAGE;
}
