/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void
kl_random_bytes (void *buffer, gsize length)
{
  guint8 *at = buffer;

  while (length > 0) {
    ssize_t got = getrandom (at, length, 0);

    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      g_error ("getrandom: %s", g_strerror (errno)); /* since Linux 3.17; nothing safe to fall back to */
    at += got;
    length -= (gsize) got;
  }
}

guint32
kl_random_below (guint32 bound)
{
  guint32 limit;
  guint32 value;

  g_return_val_if_fail (bound > 0, 0);
  /* the largest multiple of bound that fits: values above it would favour the low ones */
  limit = G_MAXUINT32 - G_MAXUINT32 % bound;
  do
    kl_random_bytes (&value, sizeof value);
  while (value >= limit);
  return value % bound;
}
