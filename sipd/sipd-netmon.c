/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-netmon"

#include "sipd-netmon.h"

#include "kl-dbus.h"
#include "kl-net-facts.h"

#define NETMON_NAME "org.keepline.NetMon"
#define NETMON_PATH "/org/keepline/NetMon"

struct _SipdNetmon {
  SipdNetmonHandlers handlers;
  gpointer user_data;
  GCancellable *cancellable; /* of the proxy being made */
  KlNetMon1 *proxy;          /* for sipd's lifetime; netmond is there while it has an owner */
  KlNetFacts *facts;
  GVariant *servers;
};

static void
on_servers_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!kl_net_mon1_call_watch_servers_finish (KL_NET_MON1 (source), result, &error)) {
    g_dbus_error_strip_remote_error (error);
    g_warning ("netmond does not watch sipd's servers: %s", error->message);
  }
}

static void
send_servers (SipdNetmon *self)
{
  if (!sipd_netmon_is_present (self) || self->servers == NULL)
    return;
  kl_net_mon1_call_watch_servers (self->proxy, self->servers, NULL, on_servers_sent, NULL);
}

static void
on_links_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  SipdNetmon *self = user_data;
  GVariant *links = kl_net_mon1_get_links (self->proxy);
  KlNetFacts *facts;
  gboolean lost, gained;

  if (links == NULL || !sipd_netmon_is_present (self))
    return;
  facts = kl_net_facts_new (links);
  lost = kl_net_facts_lost (self->facts, facts);
  gained = kl_net_facts_gained (self->facts, facts);
  g_clear_pointer (&self->facts, kl_net_facts_free);
  self->facts = facts;
  if (lost) {
    g_message ("netmond: a link went down or an address went");
    self->handlers.network_lost (self->user_data);
  }
  if (gained) {
    g_message ("netmond: a link came up or an address came");
    self->handlers.network_gained (self->user_data);
  }
}

static KlSipTargets *
targets_from_variant (const char *host, GVariant *variant, guint32 ttl_s, const char *path)
{
  KlSipTargets *targets = kl_sip_targets_new (ttl_s, path);
  GVariantIter iter;
  const char *address_text;
  guint16 port;
  guint16 priority;

  g_variant_iter_init (&iter, variant);
  while (g_variant_iter_next (&iter, "(&sqq)", &address_text, &port, &priority)) {
    g_autoptr (GInetAddress) address = g_inet_address_new_from_string (address_text);
    if (address != NULL)
      kl_sip_targets_add (targets, host, address, port, priority, 0);
  }
  return targets;
}

static void
on_targets_changed (KlNetMon1 *proxy,
                    const char *host,
                    guint16 port,
                    const char *transport_text,
                    GVariant *targets_variant,
                    gpointer user_data)
{
  SipdNetmon *self = user_data;
  g_autoptr (KlSipTargets) targets = NULL;
  KlTransport transport;

  if (!kl_transport_from_string (transport_text, &transport))
    return;
  targets = targets_from_variant (host, targets_variant, 0, "netmond");
  self->handlers.targets_changed (host, port, transport, targets, self->user_data);
}

/* GDBusProxy follows the owner of the name and loads the properties again
 * when netmond comes back; Links then says what the network is. */
static void
on_owner_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  SipdNetmon *self = user_data;

  g_clear_pointer (&self->facts, kl_net_facts_free);
  if (!sipd_netmon_is_present (self)) {
    g_message ("netmond is not on the bus: sipd resolves names itself");
    return;
  }
  g_message ("netmond is on the bus: names are resolved and links watched by it");
  if (kl_net_mon1_get_links (self->proxy) != NULL)
    self->facts = kl_net_facts_new (kl_net_mon1_get_links (self->proxy));
  send_servers (self);
}

static void
on_proxy_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  KlNetMon1 *proxy = kl_net_mon1_proxy_new_finish (result, &error);
  SipdNetmon *self = user_data;

  if (proxy == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("cannot follow netmond: %s", error->message);
    return;
  }
  g_clear_object (&self->cancellable);
  self->proxy = proxy;
  g_signal_connect (proxy, "targets-changed", G_CALLBACK (on_targets_changed), self);
  g_signal_connect (proxy, "notify::links", G_CALLBACK (on_links_changed), self);
  g_signal_connect (proxy, "notify::g-name-owner", G_CALLBACK (on_owner_changed), self);
  if (sipd_netmon_is_present (self))
    on_owner_changed (G_OBJECT (proxy), NULL, self);
}

SipdNetmon *
sipd_netmon_new (GDBusConnection *connection, const SipdNetmonHandlers *handlers, gpointer user_data)
{
  SipdNetmon *self = g_new0 (SipdNetmon, 1);

  self->handlers = *handlers;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  kl_net_mon1_proxy_new (connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NETMON_NAME, NETMON_PATH,
                         self->cancellable, on_proxy_ready, self);
  return self;
}

void
sipd_netmon_free (SipdNetmon *self)
{
  if (self == NULL)
    return;
  if (self->cancellable != NULL) {
    g_cancellable_cancel (self->cancellable);
    g_clear_object (&self->cancellable);
  }
  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  g_clear_object (&self->proxy);
  g_clear_pointer (&self->facts, kl_net_facts_free);
  g_clear_pointer (&self->servers, g_variant_unref);
  g_free (self);
}

gboolean
sipd_netmon_is_present (SipdNetmon *self)
{
  g_autofree char *owner = NULL;

  if (self == NULL || self->proxy == NULL)
    return FALSE;
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->proxy));
  return owner != NULL;
}

void
sipd_netmon_watch_servers (SipdNetmon *self, GVariant *servers)
{
  g_clear_pointer (&self->servers, g_variant_unref);
  self->servers = g_variant_ref_sink (servers);
  send_servers (self);
}

void
sipd_netmon_resolve (SipdNetmon *self,
                     const char *host,
                     guint16 port,
                     KlTransport transport,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (self->proxy != NULL);
  kl_net_mon1_call_resolve (self->proxy, host, port, kl_transport_to_string (transport), cancellable, callback,
                            user_data);
}

KlSipTargets *
sipd_netmon_resolve_finish (GObject *source,
                            const char *host,
                            GAsyncResult *result,
                            gboolean *ret_answered,
                            GError **error)
{
  g_autoptr (GVariant) targets = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) call_error = NULL;
  g_autofree char *remote = NULL;
  guint ttl_s;

  if (!kl_net_mon1_call_resolve_finish (KL_NET_MON1 (source), &targets, &ttl_s, &path, result, &call_error)) {
    remote = g_dbus_error_get_remote_error (call_error);
    *ret_answered = remote != NULL && g_str_has_prefix (remote, "org.keepline.NetMon.Error.");
    g_dbus_error_strip_remote_error (call_error);
    g_propagate_error (error, g_steal_pointer (&call_error));
    return NULL;
  }
  *ret_answered = TRUE;
  return targets_from_variant (host, targets, ttl_s, path);
}

gboolean
sipd_netmon_address_is_gone (SipdNetmon *self, GInetAddress *address)
{
  return self != NULL && self->facts != NULL && !g_inet_address_get_is_any (address) &&
         !kl_net_facts_has_address (self->facts, address);
}
