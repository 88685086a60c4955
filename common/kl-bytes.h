/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers in network byte order, read from bytes the caller has checked are there. */
#pragma once

#include <glib.h>

static inline guint16
kl_read_be16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
kl_read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}
