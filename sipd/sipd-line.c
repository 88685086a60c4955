/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line.h"

#include <string.h>

#include "sipd-error.h"

struct _SipdLine {
  guint index;
  char *object_path;
  KlObjectSkeleton *object;
  KlSipLine1 *iface;
  SipdLineState state;
};

G_GNUC_PRINTF (3, 4)
static void
line_log (SipdLine *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *message = NULL;
  char line_field[16];
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_snprintf (line_field, sizeof line_field, "%u", self->index);
  g_log_structured (G_LOG_DOMAIN, level, "LINE", line_field, "MESSAGE", "line %u: %s", self->index,
                    message);
}

const char *
sipd_line_state_to_string (SipdLineState state)
{
  switch (state) {
  case SIPD_LINE_STATE_DISABLED:
    return "disabled";
  case SIPD_LINE_STATE_UNREGISTERED:
    return "unregistered";
  case SIPD_LINE_STATE_REGISTERING:
    return "registering";
  case SIPD_LINE_STATE_REGISTERED:
    return "registered";
  case SIPD_LINE_STATE_FAILED:
    return "failed";
  }
  g_return_val_if_reached ("unknown");
}

char *
sipd_format_host_port (const char *host, guint16 port)
{
  gboolean v6 = strchr (host, ':') != NULL;

  if (port == 0)
    return v6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  return g_strdup_printf (v6 ? "[%s]:%u" : "%s:%u", host, port);
}

static gboolean
on_handle_register (KlSipLine1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  SipdLine *self = user_data;

  if (self->state == SIPD_LINE_STATE_DISABLED) {
    g_dbus_method_invocation_return_error (invocation, SIPD_ERROR, SIPD_ERROR_LINE_DISABLED,
                                           "line %u has no user name configured", self->index);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                                         "registration is not implemented yet");
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

SipdLine *
sipd_line_new (guint index)
{
  SipdLine *self = g_new0 (SipdLine, 1);

  g_return_val_if_fail (index >= 1 && index <= KL_CONFIG_MAX_LINES, NULL);

  self->index = index;
  self->object_path = g_strdup_printf ("/org/keepline/Sip/Line/%u", index);
  self->object = kl_object_skeleton_new (self->object_path);
  self->iface = kl_sip_line1_skeleton_new ();
  self->state = SIPD_LINE_STATE_DISABLED;

  kl_sip_line1_set_index (self->iface, index);
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_string (self->state));
  kl_sip_line1_set_transport (self->iface, "udp");
  kl_sip_line1_set_flows (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(ussssius)"), NULL, 0));
  kl_sip_line1_set_subscriptions (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  kl_sip_line1_set_voice_messages (self->iface, g_variant_new ("(uu)", 0, 0));
  kl_sip_line1_set_blf_states (self->iface, g_variant_new_array (G_VARIANT_TYPE ("{ss}"), NULL, 0));
  kl_object_skeleton_set_sip_line1 (self->object, self->iface);
  g_signal_connect (self->iface, "handle-register", G_CALLBACK (on_handle_register), self);
  return self;
}

void
sipd_line_free (SipdLine *self)
{
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_free (self->object_path);
  g_free (self);
}

guint
sipd_line_get_index (SipdLine *self)
{
  return self->index;
}

const char *
sipd_line_get_object_path (SipdLine *self)
{
  return self->object_path;
}

KlObjectSkeleton *
sipd_line_get_object (SipdLine *self)
{
  return self->object;
}

SipdLineState
sipd_line_get_state (SipdLine *self)
{
  return self->state;
}

static void
set_state (SipdLine *self, SipdLineState state, const char *reason)
{
  if (self->state == state)
    return;
  line_log (self, G_LOG_LEVEL_INFO, "%s -> %s (%s)", sipd_line_state_to_string (self->state),
            sipd_line_state_to_string (state), reason);
  self->state = state;
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_string (state));
}

static const char *
transport_name (gint64 protocol)
{
  return protocol == 2 ? "tcp" : protocol == 4 ? "tls" : "udp";
}

/* The primary proxy decides the AOR's domain; without one, the registrar does. */
static gboolean
primary_server (KlConfig *config, guint line, const char **ret_host, guint16 *ret_port)
{
  return kl_config_get_server (config, line, KL_CONFIG_KEY_PROXY_IP, KL_CONFIG_KEY_PROXY_PORT,
                               ret_host, ret_port) ||
         kl_config_get_server (config, line, KL_CONFIG_KEY_REGISTRAR_IP,
                               KL_CONFIG_KEY_REGISTRAR_PORT, ret_host, ret_port);
}

void
sipd_line_apply_config (SipdLine *self, KlConfig *config)
{
  guint n = self->index;
  const char *host = NULL;
  guint16 port = 0;
  g_autofree char *domain = NULL;
  g_autofree char *aor = NULL;
  g_autofree char *proxy = NULL;

  if (!kl_config_line_in_use (config, n)) {
    kl_sip_line1_set_aor (self->iface, "");
    kl_sip_line1_set_proxy (self->iface, "");
    kl_sip_line1_set_display_name (self->iface, "");
    kl_sip_line1_set_screen_name (self->iface, "");
    set_state (self, SIPD_LINE_STATE_DISABLED, "no user name configured");
    return;
  }

  /* kl_config_check() guarantees a proxy or a registrar for a line in use. */
  if (!primary_server (config, n, &host, &port))
    g_return_if_reached ();
  domain = sipd_format_host_port (host, 0);
  aor = g_strdup_printf ("sip:%s@%s", kl_config_get_string (config, n, KL_CONFIG_KEY_USER_NAME),
                         domain);
  proxy = sipd_format_host_port (host, port);

  kl_sip_line1_set_aor (self->iface, aor);
  kl_sip_line1_set_proxy (self->iface, proxy);
  kl_sip_line1_set_display_name (self->iface,
                                 kl_config_get_string (config, n, KL_CONFIG_KEY_DISPLAY_NAME));
  kl_sip_line1_set_screen_name (self->iface,
                                kl_config_get_string (config, n, KL_CONFIG_KEY_SCREEN_NAME));
  kl_sip_line1_set_transport (self->iface,
                              transport_name (kl_config_get_int (config, n, KL_CONFIG_KEY_TRANSPORT_PROTOCOL)));
  if (self->state == SIPD_LINE_STATE_DISABLED)
    set_state (self, SIPD_LINE_STATE_UNREGISTERED, "configured");
}
