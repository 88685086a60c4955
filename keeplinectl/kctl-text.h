/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading property dictionaries for text output: a missing key reads as
 * empty, zero or -1, so that a daemon of another version still prints. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *kctl_str (GVariant *dict, const char *key);
guint kctl_uint (GVariant *dict, const char *key);
gint kctl_int (GVariant *dict, const char *key);
gboolean kctl_bool (GVariant *dict, const char *key);
char *kctl_flow_text (GVariant *flow);
char *kctl_call_text (GVariant *call);
const char *kctl_or_none (const char *text);
GVariant *kctl_array_of (GPtrArray *dicts);

G_END_DECLS
