/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "uid-service"

#include "uid-service.h"

#include "kl-dbus.h"
#include "uid-model.h"
#include "uid-screen.h"
#include "uid-tty.h"

/* A reject from the screen says the person is busy (RFC 3261 §21.4.24). */
#define REJECT_STATUS 486

struct _UidService {
  KlUi1 *iface;
  GDBusConnection *connection;
  UidModel *model;
  UidTty *tty;      /* with --tty */
  guint tick;       /* each second while a call is counted on the screen */
};

static void refresh (UidService *self);

static gboolean
on_tick (gpointer user_data)
{
  refresh (user_data);
  return G_SOURCE_CONTINUE;
}

/* The duration of an answered call moves on the screen once a second. */
static void
follow_durations (UidService *self, const UidScreenModel *screen)
{
  gboolean counting = FALSE;

  for (guint i = 0; i < screen->n_calls; i++)
    counting |= g_strcmp0 (screen->calls[i].state, "active") == 0 || g_strcmp0 (screen->calls[i].state, "held") == 0;
  if (counting && self->tick == 0)
    self->tick = g_timeout_add_seconds (1, on_tick, self);
  else if (!counting && self->tick != 0)
    g_clear_handle_id (&self->tick, g_source_remove);
}

static void
refresh (UidService *self)
{
  g_autoptr (UidSnapshot) snapshot = uid_model_snapshot (self->model);
  const UidScreenModel *screen = &snapshot->screen;
  g_autoptr (GPtrArray) rows = uid_screen_render (screen);
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  GVariantBuilder lines;

  g_variant_builder_init (&lines, G_VARIANT_TYPE ("a(usss)"));
  for (guint i = 0; i < screen->n_lines; i++) {
    const UidLineInfo *line = &screen->lines[i];
    g_autofree char *label = uid_screen_label (line);
    const char *where = "";

    if (g_strcmp0 (line->state, "registered") == 0)
      where = line->on_backup ? "backup" : "primary";
    g_variant_builder_add (&lines, "(usss)", line->index, label, uid_screen_status_words (line->state), where);
  }
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (texts, ((UidRow *) g_ptr_array_index (rows, i))->text);
  g_ptr_array_add (texts, NULL);

  kl_ui1_set_screen (self->iface, (const char *const *) texts->pdata);
  kl_ui1_set_lines (self->iface, g_variant_builder_end (&lines));
  kl_ui1_set_network (self->iface, screen->network);
  kl_ui1_set_sip_service (self->iface, screen->sip_service);
  if (self->tty != NULL)
    uid_tty_draw (self->tty, rows);
  follow_durations (self, screen);
}

static void
on_model_changed (gpointer user_data)
{
  refresh (user_data);
}

/* Soft keys */

/* The answer of a phone whose media engine is not keepline's: audio (PCMU)
 * on port 4000 of the line's local address; a vendor's media engine gives
 * its own. */
static char *
answer_sdp (UidService *self, guint line)
{
  g_autofree char *address = uid_model_dup_line_address (self->model, line);
  const char *host = address ? address : "127.0.0.1";

  return g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                          "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                          host, host);
}

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    g_message ("the soft key's call failed: %s", error->message);
}

static void
on_key (char key, gpointer user_data)
{
  UidService *self = user_data;
  g_autoptr (UidSnapshot) snapshot = uid_model_snapshot (self->model);
  g_autoptr (KlSipCall1) call = NULL;
  g_autofree char *sdp = NULL;
  gint index;
  UidKeyAction action = uid_screen_key_action (&snapshot->screen, key, &index);

  if (action == UID_KEY_NONE)
    return;
  call = uid_model_get_call (self->model, g_ptr_array_index (snapshot->paths, index));
  if (call == NULL)
    return;
  switch (action) {
  case UID_KEY_ANSWER:
    sdp = answer_sdp (self, g_array_index (snapshot->calls, UidCallInfo, index).line);
    g_dbus_proxy_call (G_DBUS_PROXY (call), "Answer", g_variant_new ("(s)", sdp), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                       on_call_done, NULL);
    break;
  case UID_KEY_REJECT:
    g_dbus_proxy_call (G_DBUS_PROXY (call), "Reject", g_variant_new ("(u)", REJECT_STATUS), G_DBUS_CALL_FLAGS_NONE,
                       -1, NULL, on_call_done, NULL);
    break;
  case UID_KEY_HANG_UP:
    g_dbus_proxy_call (G_DBUS_PROXY (call), "Hangup", NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_call_done, NULL);
    break;
  case UID_KEY_NONE:
    break;
  }
}

/* Lifetime */

UidService *
uid_service_new (gboolean tty)
{
  UidService *self = g_new0 (UidService, 1);

  self->iface = kl_ui1_skeleton_new ();
  self->model = uid_model_new (on_model_changed, self);
  if (tty)
    self->tty = uid_tty_new (0, 1, on_key, self);
  kl_ui1_set_network (self->iface, "unknown");
  kl_ui1_set_lines (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(usss)"), NULL, 0));
  refresh (self);
  return self;
}

void
uid_service_free (UidService *self)
{
  uid_service_unexport (self);
  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_pointer (&self->tty, uid_tty_free);
  g_clear_pointer (&self->model, uid_model_free);
  g_clear_object (&self->iface);
  g_free (self);
}

gboolean
uid_service_export (UidService *self, GDBusConnection *connection, GError **error)
{
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection,
                                         UID_SERVICE_PATH, error))
    return FALSE;
  self->connection = g_object_ref (connection);
  uid_model_watch (self->model, connection);
  return TRUE;
}

/* Stops watching sipd and netmond too, before the daemon closes its bus
 * connection (see uid_model_stop()). */
void
uid_service_unexport (UidService *self)
{
  uid_model_stop (self->model);
  if (self->connection == NULL)
    return;
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_clear_object (&self->connection);
}
