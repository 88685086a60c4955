/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-sip-trace.h"

#include <string.h>

static char *
call_id_of (const char *message)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);

  for (guint i = 0; lines[i] != NULL && *g_strstrip (lines[i]) != '\0'; i++) {
    char *colon = strchr (lines[i], ':');

    if (colon == NULL)
      continue;
    *colon = '\0';
    g_strstrip (lines[i]);
    if (g_ascii_strcasecmp (lines[i], "Call-ID") == 0 || g_ascii_strcasecmp (lines[i], "i") == 0)
      return g_strdup (g_strstrip (colon + 1));
  }
  return NULL;
}

static gboolean
contains (GPtrArray *strings, const char *value)
{
  for (guint i = 0; i < strings->len; i++) {
    if (g_strcmp0 (strings->pdata[i], value) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Counts the INVITEs the far end received, retransmissions included, and
 * adds each new Call-ID of theirs to RET_CALL_IDS (if not NULL) in the order
 * they came. A trace not written yet holds none. */
guint
kl_test_sip_trace_count_invites (const char *file,
                                 const char *separator,
                                 KlTestSipTraceReceived received,
                                 gpointer user_data,
                                 GPtrArray *ret_call_ids)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) entries = NULL;
  guint invites = 0;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return 0;
  entries = g_strsplit (text, separator, -1);
  for (guint i = 0; entries[i] != NULL; i++) {
    g_autofree char *message = received (entries[i], user_data);
    g_autofree char *call_id = NULL;

    if (message == NULL || !g_str_has_prefix (message, "INVITE "))
      continue;
    invites++;
    call_id = call_id_of (message);
    if (ret_call_ids != NULL && call_id != NULL && !contains (ret_call_ids, call_id))
      g_ptr_array_add (ret_call_ids, g_steal_pointer (&call_id));
  }
  return invites;
}
