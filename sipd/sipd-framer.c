/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-framer.h"

#include <string.h>

struct _SipdFramer {
  GByteArray *buffer;
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
  g_free (self);
}

void
sipd_framer_push (SipdFramer *self, const guint8 *data, gsize length)
{
  g_byte_array_append (self->buffer, data, (guint) length);
}

gsize
sipd_framer_get_buffered (SipdFramer *self)
{
  return self->buffer->len;
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

/* Content-Length (or its compact form "l") from a header block; -1 if absent,
 * -2 if present but not a number. */
static gint64
content_length (const guint8 *headers, gsize length)
{
  const guint8 *line = headers;
  const guint8 *end = headers + length;

  while (line < end) {
    const guint8 *eol = find (line, end - line, "\r\n");
    const guint8 *colon;
    gsize name_length;
    gint64 value = 0;
    const guint8 *p;

    if (eol == NULL)
      eol = end;
    colon = memchr (line, ':', eol - line);
    if (colon != NULL) {
      name_length = colon - line;
      while (name_length > 0 && (line[name_length - 1] == ' ' || line[name_length - 1] == '\t'))
        name_length--;
      if ((name_length == 14 && g_ascii_strncasecmp ((const char *) line, "Content-Length", 14) == 0) ||
          (name_length == 1 && g_ascii_tolower (line[0]) == 'l')) {
        for (p = colon + 1; p < eol && (*p == ' ' || *p == '\t'); p++)
          ;
        if (p == eol || !g_ascii_isdigit (*p))
          return -2;
        for (; p < eol && g_ascii_isdigit (*p); p++) {
          value = value * 10 + (*p - '0');
          if (value > SIPD_FRAMER_MAX_MESSAGE)
            return -2;
        }
        for (; p < eol && (*p == ' ' || *p == '\t'); p++)
          ;
        return p == eol ? value : -2;
      }
    }
    line = eol + 2;
  }
  return -1;
}

static void
consume (SipdFramer *self, gsize length)
{
  g_byte_array_remove_range (self->buffer, 0, (guint) length);
}

SipdFrameKind
sipd_framer_next (SipdFramer *self, GBytes **ret_message, char **ret_reason)
{
  const guint8 *data = self->buffer->data;
  gsize length = self->buffer->len;
  const guint8 *header_end;
  gsize header_length;
  gint64 body_length;

  if (length == 0)
    return SIPD_FRAME_NEED_MORE;
  if (length >= 4 && memcmp (data, "\r\n\r\n", 4) == 0) {
    consume (self, 4);
    return SIPD_FRAME_PING;
  }
  if (length >= 2 && memcmp (data, "\r\n", 2) == 0) {
    consume (self, 2);
    return SIPD_FRAME_PONG;
  }
  if (data[0] == '\r' && length == 1)
    return SIPD_FRAME_NEED_MORE;

  header_end = find (data, MIN (length, SIPD_FRAMER_MAX_MESSAGE), "\r\n\r\n");
  if (header_end == NULL) {
    if (length < SIPD_FRAMER_MAX_MESSAGE)
      return SIPD_FRAME_NEED_MORE;
    *ret_reason = g_strdup_printf ("no end of headers in %d bytes", SIPD_FRAMER_MAX_MESSAGE);
    consume (self, length);
    return SIPD_FRAME_GARBAGE;
  }
  header_length = header_end - data + 4;

  body_length = content_length (data, header_length - 4);
  if (body_length == -2) {
    *ret_reason = g_strdup ("unreadable Content-Length");
    consume (self, header_length);
    return SIPD_FRAME_GARBAGE;
  }
  if (body_length == -1)
    body_length = 0; /* required on streams, but a message without a body is whole */
  if (length < header_length + (gsize) body_length)
    return SIPD_FRAME_NEED_MORE;

  *ret_message = g_bytes_new (data, header_length + (gsize) body_length);
  consume (self, header_length + (gsize) body_length);
  return SIPD_FRAME_MESSAGE;
}
