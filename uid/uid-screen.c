/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "uid-screen.h"

#include <string.h>

const char *
uid_screen_status_words (const char *state)
{
  static const struct {
    const char *state;
    const char *words;
  } table[] = {
    { "disabled", "Disabled" },
    { "unregistered", "Not Registered" },
    { "registering", "Registering" },
    { "registered", "Registered" },
    { "failed", "No Service" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    if (g_strcmp0 (state, table[i].state) == 0)
      return table[i].words;
  }
  return "Unknown";
}

/* The screen name, else the user part of the AOR. */
char *
uid_screen_label (const UidLineInfo *line)
{
  const char *user = line->aor != NULL ? line->aor : "";
  const char *at;

  if (line->screen_name != NULL && *line->screen_name != '\0')
    return g_strdup (line->screen_name);
  if (g_str_has_prefix (user, "sip:"))
    user += strlen ("sip:");
  else if (g_str_has_prefix (user, "sips:"))
    user += strlen ("sips:");
  at = strchr (user, '@');
  return at != NULL ? g_strndup (user, at - user) : g_strdup (user);
}

const char *
uid_screen_network_words (gboolean sip_service, const char *network)
{
  if (g_strcmp0 (network, "none") == 0)
    return "Network Disconnected";
  if (!sip_service)
    return "No SIP Service";
  if (g_strcmp0 (network, "limited") == 0)
    return "Network Limited";
  if (g_strcmp0 (network, "full") == 0)
    return "Ready";
  return "Network Unknown";
}

/* "L1 Alice           Registered (Backup)" */
char *
uid_screen_line_row (const UidLineInfo *line)
{
  const guint label_width = 16;
  g_autofree char *label = uid_screen_label (line);
  glong label_chars = g_utf8_strlen (label, -1);
  gboolean show_backup = line->on_backup && g_strcmp0 (line->state, "registered") == 0;
  g_autofree char *padding = g_strnfill (label_chars < label_width ? label_width - label_chars : 0, ' ');

  return g_strdup_printf ("L%u %s%s %s%s", line->index, label, padding,
                          uid_screen_status_words (line->state), show_backup ? " (Backup)" : "");
}
