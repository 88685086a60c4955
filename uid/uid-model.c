/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "uid-model"

#include "uid-model.h"

#include <string.h>

typedef struct {
  guint failovers;
  guint failbacks;
} LineCounts;

struct _UidModel {
  UidModelChangedFunc changed;
  gpointer user_data;
  GCancellable *cancellable;
  GDBusObjectManager *sip; /* NULL until created */
  KlNetMon1 *netmon;       /* NULL until created */
  GHashTable *counts;      /* line index -> LineCounts, as last seen */
  char *sip_owner;         /* whose counts they are: a new sipd counts from 0 */
  char *notice;
  guint notice_timeout;
};

static gboolean
sip_is_running (UidModel *self)
{
  g_autofree char *owner = NULL;

  if (self->sip == NULL)
    return FALSE;
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (self->sip));
  return owner != NULL;
}

static gboolean
netmon_is_running (UidModel *self)
{
  g_autofree char *owner = NULL;

  if (self->netmon == NULL)
    return FALSE;
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->netmon));
  return owner != NULL && kl_net_mon1_get_online (self->netmon) != NULL;
}

/* Notices */

static gboolean
on_notice_timeout (gpointer user_data)
{
  UidModel *self = user_data;

  self->notice_timeout = 0;
  g_clear_pointer (&self->notice, g_free);
  self->changed (self->user_data);
  return G_SOURCE_REMOVE;
}

static void
show_notice (UidModel *self, char *notice)
{
  g_free (self->notice);
  self->notice = notice;
  if (self->notice_timeout != 0)
    g_source_remove (self->notice_timeout);
  self->notice_timeout = g_timeout_add_seconds (UID_MODEL_NOTICE_S, on_notice_timeout, self);
}

/* A line whose failover or failback count grew since it was last seen moved. */
static void
notice_moves (UidModel *self, KlSipLine1 *line)
{
  guint index = kl_sip_line1_get_index (line);
  LineCounts now = { kl_sip_line1_get_failovers (line), kl_sip_line1_get_failbacks (line) };
  LineCounts *seen = g_hash_table_lookup (self->counts, GUINT_TO_POINTER (index));

  if (seen == NULL) {
    g_hash_table_insert (self->counts, GUINT_TO_POINTER (index), g_memdup2 (&now, sizeof now));
    return;
  }
  if (now.failovers > seen->failovers)
    show_notice (self, g_strdup_printf ("Line %u moved to its backup: %s", index,
                                        kl_sip_line1_get_last_failover (line)));
  else if (now.failbacks > seen->failbacks)
    show_notice (self, g_strdup_printf ("Line %u is back on its primary servers", index));
  *seen = now;
}

/* Snapshots */

static const char *
keep (UidSnapshot *snapshot, char *text)
{
  g_ptr_array_add (snapshot->strings, text);
  return text;
}

static gint
compare_line_index (gconstpointer a, gconstpointer b)
{
  return (gint) ((const UidLineInfo *) a)->index - (gint) ((const UidLineInfo *) b)->index;
}

static void
add_line (UidModel *self, UidSnapshot *snapshot, KlSipLine1 *line)
{
  GVariant *voice = kl_sip_line1_get_voice_messages (line);
  GVariant *blf = kl_sip_line1_get_blf_states (line);
  UidLineInfo info = {
    .index = kl_sip_line1_get_index (line),
    .aor = keep (snapshot, g_strdup (kl_sip_line1_get_aor (line))),
    .screen_name = keep (snapshot, g_strdup (kl_sip_line1_get_screen_name (line))),
    .state = keep (snapshot, g_strdup (kl_sip_line1_get_state (line))),
    .on_backup = kl_sip_line1_get_on_backup (line),
    .registrar = keep (snapshot, g_strdup (kl_sip_line1_get_registrar (line))),
    .messages_waiting = kl_sip_line1_get_messages_waiting (line),
  };

  if (voice != NULL)
    g_variant_get (voice, "(uu)", &info.new_messages, &info.old_messages);
  g_array_append_val (snapshot->lines, info);
  if (blf != NULL) {
    GVariantIter iter;
    const char *extension, *state;

    g_variant_iter_init (&iter, blf);
    while (g_variant_iter_next (&iter, "{&s&s}", &extension, &state)) {
      UidLamp lamp = { keep (snapshot, g_strdup (extension)), keep (snapshot, g_strdup (state)) };
      g_array_append_val (snapshot->lamps, lamp);
    }
  }
}

static guint
line_of_call (UidModel *self, KlSipCall1 *call)
{
  const char *path = kl_sip_call1_get_line (call);
  g_autoptr (GDBusObject) object = path ? g_dbus_object_manager_get_object (self->sip, path) : NULL;
  g_autoptr (KlSipLine1) line = object ? kl_object_get_sip_line1 (KL_OBJECT (object)) : NULL;

  return line ? kl_sip_line1_get_index (line) : 0;
}

static void
add_call (UidModel *self, UidSnapshot *snapshot, KlSipCall1 *call, const char *path)
{
  UidCallInfo info = {
    .line = line_of_call (self, call),
    .direction = keep (snapshot, g_strdup (kl_sip_call1_get_direction (call))),
    .state = keep (snapshot, g_strdup (kl_sip_call1_get_state (call))),
    .remote_uri = keep (snapshot, g_strdup (kl_sip_call1_get_remote_uri (call))),
    .remote_name = keep (snapshot, g_strdup (kl_sip_call1_get_remote_display_name (call))),
    .start_time_s = kl_sip_call1_get_start_time (call) / G_USEC_PER_SEC,
  };

  g_array_append_val (snapshot->calls, info);
  g_ptr_array_add (snapshot->paths, g_strdup (path));
}

UidSnapshot *
uid_model_snapshot (UidModel *self)
{
  UidSnapshot *snapshot = g_new0 (UidSnapshot, 1);
  GList *objects = sip_is_running (self) ? g_dbus_object_manager_get_objects (self->sip) : NULL;

  snapshot->lines = g_array_new (FALSE, TRUE, sizeof (UidLineInfo));
  snapshot->lamps = g_array_new (FALSE, TRUE, sizeof (UidLamp));
  snapshot->calls = g_array_new (FALSE, TRUE, sizeof (UidCallInfo));
  snapshot->paths = g_ptr_array_new_with_free_func (g_free);
  snapshot->strings = g_ptr_array_new_with_free_func (g_free);
  for (GList *l = objects; l; l = l->next) {
    g_autoptr (KlSipLine1) line = kl_object_get_sip_line1 (KL_OBJECT (l->data));
    g_autoptr (KlSipCall1) call = kl_object_get_sip_call1 (KL_OBJECT (l->data));

    if (line != NULL && g_strcmp0 (kl_sip_line1_get_state (line), "disabled") != 0)
      add_line (self, snapshot, line);
    if (call != NULL)
      add_call (self, snapshot, call, g_dbus_object_get_object_path (G_DBUS_OBJECT (l->data)));
  }
  g_list_free_full (objects, g_object_unref);
  g_array_sort (snapshot->lines, compare_line_index);

  snapshot->screen = (UidScreenModel) {
    .sip_service = sip_is_running (self),
    .network = netmon_is_running (self) ? keep (snapshot, g_strdup (kl_net_mon1_get_online (self->netmon)))
                                        : "unknown",
    .network_reason = netmon_is_running (self)
                          ? keep (snapshot, g_strdup (kl_net_mon1_get_online_reason (self->netmon)))
                          : "",
    .lines = (const UidLineInfo *) snapshot->lines->data,
    .n_lines = snapshot->lines->len,
    .lamps = (const UidLamp *) snapshot->lamps->data,
    .n_lamps = snapshot->lamps->len,
    .calls = (const UidCallInfo *) snapshot->calls->data,
    .n_calls = snapshot->calls->len,
    .notice = self->notice ? keep (snapshot, g_strdup (self->notice)) : NULL,
    .now_s = g_get_real_time () / G_USEC_PER_SEC,
  };
  return snapshot;
}

void
uid_snapshot_free (UidSnapshot *snapshot)
{
  g_array_unref (snapshot->lines);
  g_array_unref (snapshot->lamps);
  g_array_unref (snapshot->calls);
  g_ptr_array_unref (snapshot->paths);
  g_ptr_array_unref (snapshot->strings);
  g_free (snapshot);
}

KlSipCall1 *
uid_model_get_call (UidModel *self, const char *path)
{
  g_autoptr (GDBusObject) object = self->sip ? g_dbus_object_manager_get_object (self->sip, path) : NULL;

  return object ? kl_object_get_sip_call1 (KL_OBJECT (object)) : NULL;
}

char *
uid_model_dup_line_address (UidModel *self, guint index)
{
  g_autofree char *path = g_strdup_printf ("/org/keepline/Sip/Line/%u", index);
  g_autoptr (GDBusObject) object = self->sip ? g_dbus_object_manager_get_object (self->sip, path) : NULL;
  g_autoptr (KlSipLine1) line = object ? kl_object_get_sip_line1 (KL_OBJECT (object)) : NULL;
  GVariant *flows = line ? kl_sip_line1_get_flows (line) : NULL;
  g_autoptr (GVariant) first = NULL;
  const char *local = NULL;
  const char *colon;

  if (flows == NULL || g_variant_n_children (flows) == 0)
    return NULL;
  first = g_variant_get_child_value (flows, 0);
  if (!g_variant_lookup (first, "local", "&s", &local) || g_str_has_prefix (local, "0.0.0.0") ||
      g_str_has_prefix (local, "["))
    return NULL;
  colon = strrchr (local, ':');
  return colon ? g_strndup (local, colon - local) : g_strdup (local);
}

/* Following the daemons */

static void
on_changed (UidModel *self)
{
  g_autofree char *owner = self->sip ? g_dbus_object_manager_client_get_name_owner (
                                           G_DBUS_OBJECT_MANAGER_CLIENT (self->sip))
                                     : NULL;
  GList *objects = owner ? g_dbus_object_manager_get_objects (self->sip) : NULL;

  if (g_strcmp0 (owner, self->sip_owner) != 0) {
    g_hash_table_remove_all (self->counts);
    g_free (self->sip_owner);
    self->sip_owner = g_steal_pointer (&owner);
  }
  for (GList *l = objects; l; l = l->next) {
    g_autoptr (KlSipLine1) line = kl_object_get_sip_line1 (KL_OBJECT (l->data));
    if (line != NULL)
      notice_moves (self, line);
  }
  g_list_free_full (objects, g_object_unref);
  self->changed (self->user_data);
}

static void
on_sip_manager_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UidModel *self = user_data;
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
  g_signal_connect_swapped (manager, "interface-proxy-properties-changed", G_CALLBACK (on_changed), self);
  on_changed (self);
}

static void
on_netmon_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UidModel *self = user_data;
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
  on_changed (self);
}

UidModel *
uid_model_new (UidModelChangedFunc changed, gpointer user_data)
{
  UidModel *self = g_new0 (UidModel, 1);

  self->changed = changed;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  self->counts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

void
uid_model_watch (UidModel *self, GDBusConnection *connection)
{
  kl_object_manager_client_new (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                "org.keepline.Sip", "/org/keepline/Sip", self->cancellable, on_sip_manager_ready,
                                self);
  kl_net_mon1_proxy_new (connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, "org.keepline.NetMon",
                         "/org/keepline/NetMon", self->cancellable, on_netmon_ready, self);
}

/* An object manager that still follows sipd would subscribe to its signals
 * again when sipd comes or goes during the shutdown, and GDBus cannot send
 * that AddMatch once the connection is closed. */
void
uid_model_stop (UidModel *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->sip != NULL)
    g_signal_handlers_disconnect_by_data (self->sip, self);
  if (self->netmon != NULL)
    g_signal_handlers_disconnect_by_data (self->netmon, self);
  g_clear_object (&self->sip);
  g_clear_object (&self->netmon);
}

void
uid_model_free (UidModel *self)
{
  uid_model_stop (self);
  if (self->notice_timeout != 0)
    g_source_remove (self->notice_timeout);
  g_free (self->notice);
  g_free (self->sip_owner);
  g_hash_table_unref (self->counts);
  g_clear_object (&self->cancellable);
  g_free (self);
}
