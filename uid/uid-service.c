/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "uid-service"

#include "uid-service.h"

#include "kl-dbus.h"
#include "uid-screen.h"

struct _UidService {
  KlUi1 *iface;
  GDBusConnection *connection;
  GCancellable *cancellable;
  GDBusObjectManager *sip;  /* NULL until created */
  KlNetMon1 *netmon;        /* NULL until created */
};

static gboolean
sip_is_running (UidService *self)
{
  g_autofree char *owner = NULL;

  if (self->sip == NULL)
    return FALSE;
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (self->sip));
  return owner != NULL;
}

static const char *
network_state (UidService *self)
{
  g_autofree char *owner = NULL;

  if (self->netmon == NULL)
    return "unknown";
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->netmon));
  if (owner == NULL || kl_net_mon1_get_online (self->netmon) == NULL)
    return "unknown";
  return kl_net_mon1_get_online (self->netmon);
}

static gint
compare_line_index (gconstpointer a, gconstpointer b)
{
  const UidLineInfo *x = a;
  const UidLineInfo *y = b;

  return (gint) x->index - (gint) y->index;
}

static GArray *
collect_lines (UidService *self)
{
  g_autoptr (GArray) lines = g_array_new (FALSE, TRUE, sizeof (UidLineInfo));
  GList *objects;

  if (!sip_is_running (self))
    return g_steal_pointer (&lines);
  objects = g_dbus_object_manager_get_objects (self->sip);
  for (GList *l = objects; l; l = l->next) {
    g_autoptr (KlSipLine1) proxy = kl_object_get_sip_line1 (KL_OBJECT (l->data));
    UidLineInfo info;

    if (proxy == NULL || g_strcmp0 (kl_sip_line1_get_state (proxy), "disabled") == 0)
      continue;
    info = (UidLineInfo) {
      .index = kl_sip_line1_get_index (proxy),
      /* The proxies stay alive in the object manager while the screen is built. */
      .aor = kl_sip_line1_get_aor (proxy),
      .screen_name = kl_sip_line1_get_screen_name (proxy),
      .state = kl_sip_line1_get_state (proxy),
      .on_backup = kl_sip_line1_get_on_backup (proxy),
    };
    g_array_append_val (lines, info);
  }
  g_list_free_full (objects, g_object_unref);
  g_array_sort (lines, compare_line_index);
  return g_steal_pointer (&lines);
}

static void
refresh (UidService *self)
{
  g_autoptr (GArray) lines = collect_lines (self);
  g_autoptr (GPtrArray) screen = g_ptr_array_new_with_free_func (g_free);
  GVariantBuilder rows;
  gboolean sip_service = sip_is_running (self);
  const char *network = network_state (self);

  g_variant_builder_init (&rows, G_VARIANT_TYPE ("a(usss)"));
  g_ptr_array_add (screen, g_strdup (uid_screen_network_words (sip_service, network)));
  for (guint i = 0; i < lines->len; i++) {
    const UidLineInfo *line = &g_array_index (lines, UidLineInfo, i);
    g_autofree char *label = uid_screen_label (line);
    const char *where = "";

    if (g_strcmp0 (line->state, "registered") == 0)
      where = line->on_backup ? "backup" : "primary";
    g_ptr_array_add (screen, uid_screen_line_row (line));
    g_variant_builder_add (&rows, "(usss)", line->index, label,
                           uid_screen_status_words (line->state), where);
  }
  g_ptr_array_add (screen, NULL);

  kl_ui1_set_screen (self->iface, (const char *const *) screen->pdata);
  kl_ui1_set_lines (self->iface, g_variant_builder_end (&rows));
  kl_ui1_set_network (self->iface, network);
  kl_ui1_set_sip_service (self->iface, sip_service);
}

static void
on_changed (gpointer user_data)
{
  refresh (user_data);
}

static void
on_sip_manager_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UidService *self = user_data;
  g_autoptr (GError) error = NULL;
  GDBusObjectManager *manager = kl_object_manager_client_new_finish (result, &error);

  if (manager == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("cannot watch sipd: %s", error->message);
    return;
  }
  self->sip = manager;
  g_signal_connect_swapped (manager, "notify::name-owner", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (manager, "object-added", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (manager, "object-removed", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (manager, "interface-proxy-properties-changed", G_CALLBACK (on_changed),
                            self);
  refresh (self);
}

static void
on_netmon_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UidService *self = user_data;
  g_autoptr (GError) error = NULL;
  KlNetMon1 *proxy = kl_net_mon1_proxy_new_finish (result, &error);

  if (proxy == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("cannot watch netmond: %s", error->message);
    return;
  }
  self->netmon = proxy;
  g_signal_connect_swapped (proxy, "notify::g-name-owner", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (proxy, "g-properties-changed", G_CALLBACK (on_changed), self);
  refresh (self);
}

UidService *
uid_service_new (void)
{
  UidService *self = g_new0 (UidService, 1);

  self->iface = kl_ui1_skeleton_new ();
  self->cancellable = g_cancellable_new ();
  kl_ui1_set_network (self->iface, "unknown");
  kl_ui1_set_lines (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(usss)"), NULL, 0));
  refresh (self);
  return self;
}

void
uid_service_free (UidService *self)
{
  uid_service_unexport (self);
  g_clear_object (&self->cancellable);
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

  kl_object_manager_client_new (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                "org.keepline.Sip", "/org/keepline/Sip", self->cancellable,
                                on_sip_manager_ready, self);
  kl_net_mon1_proxy_new (connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, "org.keepline.NetMon",
                         "/org/keepline/NetMon", self->cancellable, on_netmon_ready, self);
  return TRUE;
}

/* Stops watching sipd and netmond too, before the daemon closes its bus
 * connection: an object manager that still follows sipd would subscribe to
 * its signals again when sipd comes or goes during the shutdown, and GDBus
 * cannot send that AddMatch once the connection is closed. */
void
uid_service_unexport (UidService *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->sip != NULL)
    g_signal_handlers_disconnect_by_data (self->sip, self);
  if (self->netmon != NULL)
    g_signal_handlers_disconnect_by_data (self->netmon, self);
  g_clear_object (&self->sip);
  g_clear_object (&self->netmon);
  if (self->connection == NULL)
    return;
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_clear_object (&self->connection);
}
