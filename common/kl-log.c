/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-log.h"

/* Logs "<prefix>: <message>" with FIELD=value, e.g. LINE=2 and "line 2: …". */
void
kl_log_with_field (const char *domain,
                   GLogLevelFlags level,
                   const char *field,
                   guint value,
                   const char *prefix,
                   const char *format,
                   va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);
  char text[16];

  g_snprintf (text, sizeof text, "%u", value);
  g_log_structured (domain, level, field, text, "MESSAGE", "%s: %s", prefix, message);
}
