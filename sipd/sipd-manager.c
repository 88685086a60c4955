/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-manager"

#include "sipd-manager.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kl-build-config.h"
#include "kl-daemon.h"
#include "kl-dns-client.h"
#include "kl-system.h"
#include "kl-dbus.h"
#include "sipd-calls.h"
#include "sipd-error.h"
#include "sipd-inbound.h"
#include "sipd-message-out.h"
#include "sipd-instance.h"
#include "sipd-line.h"

struct _SipdManager {
  char *config_dir;
  char *model;
  char *mac;
  KlConfig *config;

  SipdLineContext context;
  SipdStackParams stack_params;
  char *tls_files; /* the TLS files the stack was made with, to see a change */
  char *dns_server; /* "sip dns server" the resolver was made with */
  SipdTls *tls;
  SipdInbound *inbound;
  SipdCalls *calls;
  char *status; /* told to systemd last */
  guint64 rejected_before; /* by the stacks made before this one */
  guint64 rejected_now;    /* by this one */
  SipdLine *lines[KL_CONFIG_MAX_LINES];

  KlSipManager1 *iface;
  GDBusObjectManagerServer *object_manager;
  GDBusConnection *connection;
  SipdNetmon *netmon; /* while on the bus */
};

/* Inbound requests */

static guint
find_line (const char *user, gpointer user_data)
{
  SipdManager *self = user_data;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    const SipdLineSettings *settings = sipd_line_get_settings (self->lines[i]);
    if (settings != NULL && strcmp (settings->user, user) == 0)
      return i + 1;
  }
  return 0;
}

static gboolean
on_notify (SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  SipdManager *self = user_data;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    if (sipd_line_handle_notify (self->lines[i], flow, request))
      return TRUE;
  }
  return FALSE;
}

static void
on_message (guint line, const char *from, const char *content_type, const char *body, gpointer user_data)
{
  SipdManager *self = user_data;

  kl_sip_line1_emit_message_received (sipd_line_get_iface (self->lines[line - 1]), from, content_type, body);
}

static void
on_invite (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  SipdManager *self = user_data;
  const char *path = sipd_calls_ring (self->calls, self->lines[line - 1], flow, request);
  g_autofree char *from = NULL;
  g_autofree char *call_id = NULL;

  if (path == NULL)
    return;
  from = sipd_message_print_header (request, sipd_message_get_sip (request)->sip_from);
  call_id = g_utf8_make_valid (sipd_message_get_call_id (request), -1);
  kl_sip_line1_emit_incoming_call (sipd_line_get_iface (self->lines[line - 1]), from, call_id, path);
}

static gboolean
on_unsolicited_mwi (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  SipdManager *self = user_data;

  return sipd_line_show_unsolicited_mwi (self->lines[line - 1], flow, request);
}

static const SipdInboundHandlers inbound_handlers = { find_line, on_notify, on_message, on_invite, on_unsolicited_mwi };

static void
on_request (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data)
{
  SipdManager *self = user_data;

  if (!sipd_calls_handle_request (self->calls, flow, request))
    sipd_inbound_handle (self->inbound, flow, request);
}

/* Calls and messages from D-Bus */

static SipdLine *
line_of_iface (SipdManager *self, KlSipLine1 *iface)
{
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    if (sipd_line_get_iface (self->lines[i]) == iface)
      return self->lines[i];
  }
  g_return_val_if_reached (NULL);
}

static gboolean
on_handle_dial (KlSipLine1 *iface, GDBusMethodInvocation *invocation, const char *uri, const char *sdp,
                gpointer user_data)
{
  SipdManager *self = user_data;
  g_autoptr (GError) error = NULL;
  const char *path = sipd_calls_dial (self->calls, line_of_iface (self, iface), uri, sdp, &error);

  if (path == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    kl_sip_line1_complete_dial (iface, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_message_sent (const char *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", result));
}

static gboolean
on_handle_send_message (KlSipLine1 *iface, GDBusMethodInvocation *invocation, const char *uri, const char *text,
                        gpointer user_data)
{
  SipdManager *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!sipd_message_out_send (self->context.stack, line_of_iface (self, iface), self->context.user_agent, uri, text,
                              on_message_sent, invocation, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_rejected (SipdStack *stack, guint64 rejected, gpointer user_data)
{
  SipdManager *self = user_data;

  self->rejected_now = rejected;
  kl_sip_manager1_set_rejected_requests (self->iface, self->rejected_before + rejected);
}

/* "2/3 lines registered, line 2 on backup", for `systemctl status`. */
static char *
status_text (SipdManager *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) backup = g_string_new (NULL);
  guint in_use = 0;
  guint registered = 0;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    KlSipLine1 *iface;

    if (self->lines[i] == NULL || sipd_line_get_settings (self->lines[i]) == NULL)
      continue;
    iface = sipd_line_get_iface (self->lines[i]);
    in_use++;
    registered += g_strcmp0 (kl_sip_line1_get_state (iface), "registered") == 0;
    if (kl_sip_line1_get_on_backup (iface))
      g_string_append_printf (backup, "%s%u", backup->len ? ", " : "", i + 1);
  }
  g_string_printf (text, "%u/%u lines registered", registered, in_use);
  if (backup->len > 0)
    g_string_append_printf (text, ", line%s %s on backup", strchr (backup->str, ',') ? "s" : "", backup->str);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_line_changed (guint line, gpointer user_data)
{
  SipdManager *self = user_data;
  g_autofree char *status = status_text (self);

  if (self->calls != NULL)
    sipd_calls_line_changed (self->calls, line);
  if (g_strcmp0 (status, self->status) != 0) {
    kl_daemon_status (status);
    g_free (self->status);
    self->status = g_steal_pointer (&status);
  }
}

/* The stack: made from the global keys; made again when they change */

/* The TLS keys, and when each file was last changed: a CRL or certificate
 * replaced under the same name counts as a change at Reload. */
static char *
tls_files_of (KlConfig *config)
{
  const KlConfigKey files[] = {
    KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES, KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE, KL_CONFIG_KEY_TLS_PRIVATE_KEY,
    KL_CONFIG_KEY_TLS_ROOT_AND_INTERMEDIATE_CERTIFICATES, KL_CONFIG_KEY_TLS_REVOCATION_LIST,
  };
  GString *text = g_string_new (kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_PRIORITY));

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    const char *path = kl_config_get_string (config, 0, files[i]);
    GStatBuf info = { 0 };

    if (*path != '\0')
      (void) g_stat (path, &info);
    g_string_append_printf (text, "\n%s %" G_GINT64_FORMAT, path, (gint64) info.st_mtime);
  }
  return g_string_free (text, FALSE);
}

static void
drop_stack (SipdManager *self)
{
  g_clear_pointer (&self->inbound, sipd_inbound_free);
  g_clear_pointer (&self->context.resolver, sipd_resolver_free);
  g_clear_pointer (&self->dns_server, g_free);
  g_clear_pointer (&self->context.stack, sipd_stack_free);
  self->rejected_before += self->rejected_now;
  self->rejected_now = 0;
  g_clear_pointer (&self->tls, sipd_tls_free);
  g_clear_pointer (&self->context.tls_problem, g_free);
  g_clear_pointer (&self->tls_files, g_free);
}

static gboolean
make_stack (SipdManager *self, KlConfig *config, GError **error)
{
  g_autoptr (GError) tls_error = NULL;
  g_autoptr (GInetSocketAddress) dns_server = NULL;

  if (!kl_dns_server_from_config (config, &dns_server, error))
    return FALSE;

  if (*kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES) != '\0') {
    self->tls = sipd_tls_new_from_config (config, &tls_error);
    if (self->tls == NULL) {
      g_warning ("TLS cannot be used: %s", tls_error->message);
      self->context.tls_problem = g_strdup (tls_error->message);
    }
  }
  sipd_stack_params_from_config (&self->stack_params, config);
  self->stack_params.tls = self->tls;
  self->context.stack = sipd_stack_new (self->context.clock, &self->stack_params, error);
  if (self->context.stack == NULL)
    return FALSE;
  self->tls_files = tls_files_of (config);
  self->dns_server = g_strdup (kl_config_get_string (config, 0, KL_CONFIG_KEY_DNS_SERVER));
  self->context.resolver = sipd_resolver_new (self->context.clock, dns_server, kl_system_srv_seed (self->mac));
  sipd_resolver_set_netmon (self->context.resolver, self->netmon);
  self->inbound = sipd_inbound_new (self->context.stack, &inbound_handlers, self);
  sipd_stack_set_request_handler (self->context.stack, on_request, self);
  sipd_stack_set_rejected_handler (self->context.stack, on_rejected, self);
  return TRUE;
}

static gboolean
stack_needs_remaking (SipdManager *self, KlConfig *config)
{
  SipdStackParams params;
  const SipdStackParams *now = &self->stack_params;
  g_autofree char *tls_files = tls_files_of (config);

  sipd_stack_params_from_config (&params, config);
  return params.timers.t1_ms != now->timers.t1_ms || params.timers.t2_ms != now->timers.t2_ms ||
         params.timers.transaction_ms != now->timers.transaction_ms || params.udp_port != now->udp_port ||
         params.symmetric_udp != now->symmetric_udp || params.persistent_tls != now->persistent_tls ||
         params.tls_port != now->tls_port || g_strcmp0 (tls_files, self->tls_files) != 0 ||
         g_strcmp0 (kl_config_get_string (config, 0, KL_CONFIG_KEY_DNS_SERVER), self->dns_server) != 0;
}

/* netmond */

static void
watch_servers (SipdManager *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GVariantBuilder servers;

  if (self->netmon == NULL)
    return;
  g_variant_builder_init (&servers, G_VARIANT_TYPE ("a(sqs)"));
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_add_watched_servers (self->lines[i], seen, &servers);
  sipd_netmon_watch_servers (self->netmon, g_variant_builder_end (&servers));
}

static void
on_targets_changed (const char *host,
                    guint16 port,
                    KlTransport transport,
                    const KlSipTargets *targets,
                    gpointer user_data)
{
  SipdManager *self = user_data;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_targets_changed (self->lines[i], host, port, transport, targets);
}

static void
on_network_lost (gpointer user_data)
{
  SipdManager *self = user_data;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_network_lost (self->lines[i]);
}

static void
on_network_gained (gpointer user_data)
{
  SipdManager *self = user_data;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_network_gained (self->lines[i], self->netmon);
}

static const SipdNetmonHandlers netmon_handlers = { on_targets_changed, on_network_lost, on_network_gained };

/* Configuration */

static gboolean
apply_config (SipdManager *self, KlConfig *config, GError **error)
{
  gint64 scale = kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);

  if (self->context.stack == NULL) {
    if (!make_stack (self, config, error))
      return FALSE;
  } else if (stack_needs_remaking (self, config)) {
    g_message ("ports, timers or TLS files changed: every line starts again");
    sipd_calls_drop_all (self->calls, "sipd's transport settings changed");
    for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
      sipd_line_detach (self->lines[i]);
    drop_stack (self);
    if (!make_stack (self, config, error))
      return FALSE;
  }

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
  sipd_calls_set_config (self->calls, config);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_apply_config (self->lines[i], config);
  watch_servers (self);
  return TRUE;
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

static char *
instance_id (const KlConfigSource *source, const char *state_dir, GError **error)
{
  if (source->mac != NULL && *source->mac != '\0')
    return sipd_instance_id_from_mac (source->mac);
  return sipd_instance_id_load_or_create (state_dir, error);
}

SipdManager *
sipd_manager_new (const KlConfigSource *source,
                  const char *state_dir,
                  KlClock *clock,
                  KlConfig *config,
                  GError **error)
{
  g_autoptr (SipdManager) self = g_new0 (SipdManager, 1);
  const char *paths[KL_CONFIG_MAX_LINES + 1] = { NULL };

  self->config_dir = g_strdup (source->dir);
  self->model = g_strdup (source->model);
  self->mac = g_strdup (source->mac);
  self->iface = kl_sip_manager1_skeleton_new ();
  self->object_manager = g_dbus_object_manager_server_new (SIPD_MANAGER_PATH);
  self->context.clock = kl_clock_ref (clock);
  self->context.line_changed = on_line_changed;
  self->context.line_changed_data = self;
  self->context.user_agent = g_strdup_printf ("keepline/%s", KL_VERSION);
  self->context.instance_id = instance_id (source, state_dir, error);
  if (self->context.instance_id == NULL)
    return NULL;
  g_info ("instance id %s", self->context.instance_id);
  if (!make_stack (self, config, error))
    return NULL;

  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    self->lines[i] = sipd_line_new (i + 1, &self->context);
    paths[i] = sipd_line_get_object_path (self->lines[i]);
    g_dbus_object_manager_server_export (self->object_manager,
                                         G_DBUS_OBJECT_SKELETON (sipd_line_get_object (self->lines[i])));
  }
  self->calls = sipd_calls_new (&self->context, self->object_manager, self->iface);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    g_signal_connect (sipd_line_get_iface (self->lines[i]), "handle-dial", G_CALLBACK (on_handle_dial), self);
    g_signal_connect (sipd_line_get_iface (self->lines[i]), "handle-send-message",
                      G_CALLBACK (on_handle_send_message), self);
  }
  kl_sip_manager1_set_version (self->iface, KL_VERSION);
  kl_sip_manager1_set_lines (self->iface, paths);
  g_signal_connect (self->iface, "handle-reload", G_CALLBACK (on_handle_reload), self);

  if (!apply_config (self, config, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
sipd_manager_free (SipdManager *self)
{
  sipd_manager_unexport (self);
  g_clear_pointer (&self->calls, sipd_calls_free);
  g_clear_object (&self->object_manager);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    g_clear_pointer (&self->lines[i], sipd_line_free);
  drop_stack (self);
  g_clear_object (&self->iface);
  g_clear_pointer (&self->config, kl_config_unref);
  g_clear_pointer (&self->context.clock, kl_clock_unref);
  g_free (self->context.instance_id);
  g_free (self->context.user_agent);
  g_free (self->status);
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
  self->netmon = sipd_netmon_new (connection, &netmon_handlers, self);
  sipd_resolver_set_netmon (self->context.resolver, self->netmon);
  watch_servers (self);
  return TRUE;
}

static gboolean
on_goodbye_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Un-registers and un-subscribes every line, as a phone does before a restart,
 * and waits for the answers, but not longer than timeout_ms. */
void
sipd_manager_say_goodbye (SipdManager *self, guint timeout_ms)
{
  gboolean late = FALSE;
  guint deadline;
  gboolean quiet;

  sipd_calls_end_all (self->calls, "sipd stops");
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
    sipd_line_say_goodbye (self->lines[i]);
  deadline = g_timeout_add (timeout_ms, on_goodbye_deadline, &late);
  do {
    quiet = TRUE;
    for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++)
      quiet = quiet && sipd_line_is_quiet (self->lines[i]);
    if (!quiet)
      g_main_context_iteration (NULL, TRUE);
  } while (!quiet && !late);
  if (!late)
    g_source_remove (deadline);
  else
    g_message ("stopping without the last answers to un-REGISTER or un-SUBSCRIBE");
}

void
sipd_manager_unexport (SipdManager *self)
{
  if (self->connection == NULL)
    return;
  if (self->context.resolver != NULL)
    sipd_resolver_set_netmon (self->context.resolver, NULL);
  g_clear_pointer (&self->netmon, sipd_netmon_free);
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
  return apply_config (self, config, error);
}

KlConfig *
sipd_manager_get_config (SipdManager *self)
{
  return self->config;
}
