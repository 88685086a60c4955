/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-event-body.h"

#include <stdio.h>
#include <string.h>

/* "Messages-Waiting: yes" and "Voice-Message: 2/8 (0/2)": new/old (urgent new/old). */
gboolean
sipd_mwi_parse (const char *body, gsize length, SipdMwiSummary *ret_summary, char **ret_reason)
{
  g_autofree char *text = g_strndup (body, length);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  SipdMwiSummary summary = { 0 };
  gboolean have_waiting = FALSE;

  for (guint i = 0; lines[i]; i++) {
    char *line = g_strstrip (lines[i]);
    char *colon = strchr (line, ':');
    char *value;

    if (colon == NULL)
      continue;
    *colon = '\0';
    value = g_strstrip (colon + 1);
    if (g_ascii_strcasecmp (g_strstrip (line), "Messages-Waiting") == 0) {
      have_waiting = TRUE;
      summary.waiting = g_ascii_strcasecmp (value, "yes") == 0;
    } else if (g_ascii_strcasecmp (line, "Voice-Message") == 0) {
      guint new_count = 0, old_count = 0;
      if (sscanf (value, "%u/%u", &new_count, &old_count) == 2) {
        summary.new_messages = new_count;
        summary.old_messages = old_count;
      }
    }
  }
  if (!have_waiting) {
    *ret_reason = g_strdup ("no Messages-Waiting line");
    return FALSE;
  }
  *ret_summary = summary;
  return TRUE;
}

typedef struct {
  gboolean in_state;
  gboolean confirmed;
  gboolean early;
  gboolean seen_root;
} DialogInfo;

static void
on_start (GMarkupParseContext *context,
          const char *element,
          const char **names,
          const char **values,
          gpointer user_data,
          GError **error)
{
  DialogInfo *info = user_data;
  const char *local = strchr (element, ':') ? strchr (element, ':') + 1 : element;

  if (strcmp (local, "dialog-info") == 0)
    info->seen_root = TRUE;
  info->in_state = strcmp (local, "state") == 0;
}

static void
on_end (GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
  ((DialogInfo *) user_data)->in_state = FALSE;
}

static void
on_text (GMarkupParseContext *context, const char *text, gsize length, gpointer user_data, GError **error)
{
  DialogInfo *info = user_data;
  g_autofree char *state = NULL;

  if (!info->in_state)
    return;
  state = g_strstrip (g_strndup (text, length));
  if (strcmp (state, "confirmed") == 0)
    info->confirmed = TRUE;
  else if (strcmp (state, "early") == 0 || strcmp (state, "proceeding") == 0 || strcmp (state, "trying") == 0)
    info->early = TRUE;
}

/* The extension's state as a busy lamp shows it: "confirmed" (busy) if any of
 * its dialogs is, else "early" (ringing) if any rings, else "idle". */
const char *
sipd_blf_parse (const char *body, gsize length, char **ret_reason)
{
  static const GMarkupParser parser = { .start_element = on_start, .end_element = on_end, .text = on_text };
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GError) error = NULL;
  DialogInfo info = { 0 };

  context = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &info, NULL);
  if (!g_markup_parse_context_parse (context, body, (gssize) length, &error) ||
      !g_markup_parse_context_end_parse (context, &error)) {
    *ret_reason = g_strdup (error->message);
    return NULL;
  }
  if (!info.seen_root) {
    *ret_reason = g_strdup ("no dialog-info element");
    return NULL;
  }
  return info.confirmed ? "confirmed" : info.early ? "early" : "idle";
}
