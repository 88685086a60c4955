/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-manager"

#include "sipd-manager.h"

#include "kl-build-config.h"
#include "kl-dbus.h"
#include "kl-daemon.h"
#include "sipd-error.h"
#include "sipd-line.h"

struct _SipdManager {
  char *config_dir;
  char *model;
  char *mac;
  KlConfig *config;
  SipdLine *lines[KL_CONFIG_MAX_LINES];
  KlSipManager1 *iface;
  GDBusObjectManagerServer *object_manager;
  GDBusConnection *connection;
};

static void
apply_config (SipdManager *self, KlConfig *config)
{
  gint64 scale = kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);

  if (self->config != config) {
    g_clear_pointer (&self->config, kl_config_unref);
    self->config = kl_config_ref (config);
  }
  if (scale != 100)
    g_warning ("'sip timer scale percent' is %" G_GINT64_FORMAT
               ": recovery and retry timers run at that share of their normal length",
               scale);

  kl_sip_manager1_set_config_directory (self->iface, kl_config_get_dir (config));
  kl_sip_manager1_set_config_files (self->iface, kl_config_get_files_read (config));
  kl_sip_manager1_set_timer_scale_percent (self->iface, (guint) scale);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_apply_config (self->lines[i], config);
}

static gboolean
on_handle_reload (KlSipManager1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  SipdManager *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!sipd_manager_reload (self, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    kl_sip_manager1_complete_reload (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

SipdManager *
sipd_manager_new (const KlConfigSource *source, KlConfig *config)
{
  SipdManager *self = g_new0 (SipdManager, 1);
  const char *paths[KL_CONFIG_MAX_LINES + 1] = { NULL };

  self->config_dir = g_strdup (source->dir);
  self->model = g_strdup (source->model);
  self->mac = g_strdup (source->mac);
  self->iface = kl_sip_manager1_skeleton_new ();
  self->object_manager = g_dbus_object_manager_server_new (SIPD_MANAGER_PATH);

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    self->lines[i] = sipd_line_new (i + 1);
    paths[i] = sipd_line_get_object_path (self->lines[i]);
    g_dbus_object_manager_server_export (self->object_manager,
                                         G_DBUS_OBJECT_SKELETON (sipd_line_get_object (self->lines[i])));
  }
  kl_sip_manager1_set_version (self->iface, KL_VERSION);
  kl_sip_manager1_set_lines (self->iface, paths);
  g_signal_connect (self->iface, "handle-reload", G_CALLBACK (on_handle_reload), self);

  apply_config (self, config);
  return self;
}

void
sipd_manager_free (SipdManager *self)
{
  sipd_manager_unexport (self);
  g_clear_object (&self->object_manager);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    g_clear_pointer (&self->lines[i], sipd_line_free);
  g_clear_object (&self->iface);
  g_clear_pointer (&self->config, kl_config_unref);
  g_free (self->config_dir);
  g_free (self->model);
  g_free (self->mac);
  g_free (self);
}

gboolean
sipd_manager_export (SipdManager *self, GDBusConnection *connection, GError **error)
{
  g_return_val_if_fail (self->connection == NULL, FALSE);

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection,
                                         SIPD_MANAGER_PATH, error))
    return FALSE;
  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
  self->connection = g_object_ref (connection);
  return TRUE;
}

void
sipd_manager_unexport (SipdManager *self)
{
  if (self->connection == NULL)
    return;
  g_dbus_object_manager_server_set_connection (self->object_manager, NULL);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_clear_object (&self->connection);
}

gboolean
sipd_manager_reload (SipdManager *self, GError **error)
{
  const KlConfigSource source = { .dir = self->config_dir, .model = self->model, .mac = self->mac };
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) load_error = NULL;
  g_autoptr (KlConfig) config = kl_config_load (&source, diagnostics, &load_error);

  kl_daemon_log_diagnostics (diagnostics);
  if (config == NULL) {
    g_autoptr (GString) message = g_string_new (load_error->message);

    g_string_append (message, "; the last good configuration stays in force");
    for (guint i = 0; i < diagnostics->len; i++) {
      const KlConfigDiagnostic *diagnostic = g_ptr_array_index (diagnostics, i);
      g_autofree char *text = NULL;

      if (diagnostic->severity != KL_CONFIG_SEVERITY_ERROR)
        continue;
      text = kl_config_diagnostic_to_string (diagnostic);
      g_string_append_printf (message, "\n%s", text);
    }
    g_warning ("reload refused: %s", message->str);
    g_set_error_literal (error, SIPD_ERROR, SIPD_ERROR_INVALID_CONFIG, message->str);
    return FALSE;
  }

  g_message ("configuration reloaded from %s", self->config_dir);
  apply_config (self, config);
  return TRUE;
}

KlConfig *
sipd_manager_get_config (SipdManager *self)
{
  return self->config;
}
