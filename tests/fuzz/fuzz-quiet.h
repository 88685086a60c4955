/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A log writer for fuzz targets: warnings and worse still reach stderr, the
 * messages every input makes do not. Writing them cost more than the input's
 * own work and filled a campaign's log with gigabytes. */
#pragma once

#include <glib.h>

static inline GLogWriterOutput
fuzz_quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}
