/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-service"

#include "netmond-service.h"

#include "kl-dbus.h"

struct _NetmondService {
  GNetworkMonitor *monitor;
  KlNetMon1 *iface;
  gboolean exported;
};

/* Until the probes of SIP servers exist, a default route is all "full" means. */
static void
update_online (NetmondService *self)
{
  const char *online;
  const char *reason;

  switch (g_network_monitor_get_connectivity (self->monitor)) {
  case G_NETWORK_CONNECTIVITY_LOCAL:
    online = "none";
    reason = "no default route";
    break;
  case G_NETWORK_CONNECTIVITY_LIMITED:
  case G_NETWORK_CONNECTIVITY_PORTAL:
    online = "limited";
    reason = "default route, but the network reports limited connectivity";
    break;
  case G_NETWORK_CONNECTIVITY_FULL:
    online = "full";
    reason = "default route present";
    break;
  default:
    online = "none";
    reason = "unknown connectivity";
    break;
  }
  if (g_strcmp0 (kl_net_mon1_get_online (self->iface), online) != 0)
    g_message ("online: %s -> %s (%s)", kl_net_mon1_get_online (self->iface), online, reason);
  kl_net_mon1_set_online (self->iface, online);
  kl_net_mon1_set_online_reason (self->iface, reason);
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available, gpointer user_data)
{
  update_online (user_data);
}

NetmondService *
netmond_service_new (GNetworkMonitor *monitor)
{
  NetmondService *self = g_new0 (NetmondService, 1);

  self->monitor = g_object_ref (monitor);
  self->iface = kl_net_mon1_skeleton_new ();
  kl_net_mon1_set_online (self->iface, "none");
  kl_net_mon1_set_links (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(ssas)"), NULL, 0));
  kl_net_mon1_set_targets (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(sssqqqu)"), NULL, 0));
  g_signal_connect (monitor, "network-changed", G_CALLBACK (on_network_changed), self);
  update_online (self);
  return self;
}

void
netmond_service_free (NetmondService *self)
{
  netmond_service_unexport (self);
  g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_object (&self->iface);
  g_free (self);
}

gboolean
netmond_service_export (NetmondService *self, GDBusConnection *connection, GError **error)
{
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection,
                                         NETMOND_SERVICE_PATH, error))
    return FALSE;
  self->exported = TRUE;
  return TRUE;
}

void
netmond_service_unexport (NetmondService *self)
{
  if (!self->exported)
    return;
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
  self->exported = FALSE;
}

const char *
netmond_service_get_online (NetmondService *self)
{
  return kl_net_mon1_get_online (self->iface);
}
