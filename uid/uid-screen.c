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

char *
uid_screen_fit (const char *text, guint columns)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  const char *end = valid;

  for (guint i = 0; i < columns && *end; i++)
    end = g_utf8_next_char (end);
  return g_strndup (valid, end - valid);
}

static void
add_row (GPtrArray *rows, UidRowKind kind, char *text)
{
  UidRow *row = g_new0 (UidRow, 1);

  row->kind = kind;
  row->text = uid_screen_fit (text, UID_SCREEN_COLUMNS);
  g_free (text);
  g_ptr_array_add (rows, row);
}

static void
row_free (UidRow *row)
{
  g_free (row->text);
  g_free (row);
}

static char *
status_row (const UidScreenModel *model)
{
  GString *text = g_string_new (uid_screen_network_words (model->sip_service, model->network));
  guint new_messages = 0;

  if (g_strcmp0 (model->network, "full") != 0 && model->network_reason && *model->network_reason)
    g_string_append_printf (text, " (%s)", model->network_reason);
  for (guint i = 0; i < model->n_lines; i++)
    new_messages += model->lines[i].new_messages;
  if (new_messages > 0)
    g_string_append_printf (text, "   Voicemail: %u new", new_messages);
  return g_string_free (text, FALSE);
}

/* The line row, then where it is registered and its voicemail. */
static char *
line_row (const UidLineInfo *line)
{
  GString *text = g_string_new (NULL);
  g_autofree char *row = uid_screen_line_row (line);

  g_string_append (text, row);
  if (g_strcmp0 (line->state, "registered") == 0 && line->registrar && *line->registrar)
    g_string_append_printf (text, "  at %s", line->registrar);
  if (line->new_messages > 0)
    g_string_append_printf (text, "  %u new message%s", line->new_messages, line->new_messages == 1 ? "" : "s");
  else if (line->messages_waiting)
    g_string_append (text, "  messages waiting");
  return g_string_free (text, FALSE);
}

/* RFC 4235 dialog states as a lamp shows them */
static const char *
lamp_words (const char *state)
{
  if (g_strcmp0 (state, "confirmed") == 0)
    return "busy";
  if (g_strcmp0 (state, "early") == 0)
    return "ringing";
  if (g_strcmp0 (state, "idle") == 0)
    return "idle";
  return "?";
}

static char *
lamps_row (const UidScreenModel *model)
{
  GString *text = g_string_new ("BLF:");

  for (guint i = 0; i < model->n_lamps; i++)
    g_string_append_printf (text, "  %s %s", model->lamps[i].extension, lamp_words (model->lamps[i].state));
  return g_string_free (text, FALSE);
}

static gboolean
is_incoming_ringing (const UidCallInfo *call)
{
  return g_strcmp0 (call->direction, "incoming") == 0 && g_strcmp0 (call->state, "ringing") == 0;
}

static gboolean
can_hang_up (const UidCallInfo *call)
{
  return g_strcmp0 (call->state, "ended") != 0 && !is_incoming_ringing (call);
}

static char *
who (const UidCallInfo *call)
{
  if (call->remote_name && *call->remote_name)
    return g_strdup_printf ("%s <%s>", call->remote_name, call->remote_uri ? call->remote_uri : "");
  return g_strdup (call->remote_uri ? call->remote_uri : "");
}

static char *
call_row (const UidCallInfo *call, gint64 now_s)
{
  g_autofree char *far_end = who (call);
  gboolean incoming = g_strcmp0 (call->direction, "incoming") == 0;
  gint64 seconds = call->start_time_s > 0 ? MAX (now_s - call->start_time_s, 0) : -1;

  if (is_incoming_ringing (call))
    return g_strdup_printf ("Incoming call on L%u from %s", call->line, far_end);
  if (seconds >= 0 && (g_strcmp0 (call->state, "active") == 0 || g_strcmp0 (call->state, "held") == 0))
    return g_strdup_printf ("L%u %s %s: %s %02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT, call->line,
                            incoming ? "with" : "to", far_end, call->state, seconds / 60, seconds % 60);
  return g_strdup_printf ("L%u %s %s: %s", call->line, incoming ? "from" : "to", far_end, call->state);
}

static char *
keys_row (const UidScreenModel *model)
{
  gboolean ringing = FALSE, in_call = FALSE;

  for (guint i = 0; i < model->n_calls; i++) {
    ringing |= is_incoming_ringing (&model->calls[i]);
    in_call |= can_hang_up (&model->calls[i]);
  }
  if (!ringing && !in_call)
    return NULL;
  return g_strdup_printf ("%s%s%s", ringing ? "[1] Answer  [2] Reject" : "", ringing && in_call ? "  " : "",
                          in_call ? "[3] Hang up" : "");
}

GPtrArray *
uid_screen_render (const UidScreenModel *model)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  char *keys = keys_row (model);
  guint room;

  add_row (rows, UID_ROW_STATUS, status_row (model));
  for (guint i = 0; i < model->n_lines; i++)
    add_row (rows, UID_ROW_LINE, line_row (&model->lines[i]));
  if (model->n_lamps > 0)
    add_row (rows, UID_ROW_LAMPS, lamps_row (model));
  /* the calls get what is left, the notice and the keys keeping theirs */
  room = UID_SCREEN_ROWS - MIN (rows->len, UID_SCREEN_ROWS) - (model->notice ? 1 : 0) - (keys ? 1 : 0);
  for (guint i = 0; i < model->n_calls && room > 0; i++, room--)
    add_row (rows, is_incoming_ringing (&model->calls[i]) ? UID_ROW_ALERT : UID_ROW_CALL,
             call_row (&model->calls[i], model->now_s));
  if (model->notice)
    add_row (rows, UID_ROW_NOTICE, g_strdup (model->notice));
  if (keys)
    add_row (rows, UID_ROW_KEYS, keys);
  if (rows->len > UID_SCREEN_ROWS)
    g_ptr_array_remove_range (rows, UID_SCREEN_ROWS, rows->len - UID_SCREEN_ROWS);
  return rows;
}

UidKeyAction
uid_screen_key_action (const UidScreenModel *model, char key, gint *ret_call)
{
  UidKeyAction action = key == '1' || key == 'a' ? UID_KEY_ANSWER
                        : key == '2' || key == 'r' ? UID_KEY_REJECT
                        : key == '3' || key == 'h' ? UID_KEY_HANG_UP
                                                   : UID_KEY_NONE;

  *ret_call = -1;
  for (guint i = 0; action != UID_KEY_NONE && i < model->n_calls; i++) {
    const UidCallInfo *call = &model->calls[i];
    if (action == UID_KEY_HANG_UP ? can_hang_up (call) : is_incoming_ringing (call)) {
      *ret_call = (gint) i;
      return action;
    }
  }
  return UID_KEY_NONE;
}
