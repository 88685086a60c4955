/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-service"

#include "netmond-service.h"

#include "kl-dbus.h"
#include "kl-net-facts.h"
#include "netmond-error.h"
#include "netmond-links.h"
#include "netmond-probes.h"
#include "netmond-resolver.h"
#include "netmond-servers.h"

/* Resolve calls of one caller waiting for their answer at once: a caller
 * that asks more waits for answers first, and cannot make netmond hold
 * queries without end. */
#define MAX_RESOLVES_PER_CALLER 16

struct _NetmondService {
  KlClock *clock;
  GHashTable *resolving; /* caller's unique name → its Resolve calls waiting */
  NetmondLinks *links;
  NetmondResolver *resolver;
  NetmondServers *servers;
  NetmondProbes *probes;
  KlNetFacts *link_facts; /* of the Links last published, to see what a change brings */

  KlNetMon1 *iface;
  GDBusConnection *connection;
  guint name_owner_changed; /* to see a watcher leave the bus */
};

/* Online */

static const NetmondLink *
first_usable_link (NetmondService *self)
{
  GPtrArray *links = netmond_links_get_links (self->links);

  for (guint i = 0; i < links->len; i++) {
    const NetmondLink *link = g_ptr_array_index (links, i);
    if (link->state == NETMOND_LINK_STATE_UP && link->addresses->len > 0 && !g_str_equal (link->name, "lo"))
      return link;
  }
  return NULL;
}

static void
update_online (NetmondService *self)
{
  const char *online;
  g_autofree char *reason = NULL;
  guint reachable = netmond_probes_count (self->probes, NETMOND_PROBE_STATE_REACHABLE);
  guint probed = reachable + netmond_probes_count (self->probes, NETMOND_PROBE_STATE_UNREACHABLE);

  if (!netmond_links_has_usable_link (self->links)) {
    online = "none";
    reason = g_strdup ("no link other than loopback is up with an address");
  } else if (!netmond_links_has_default_route (self->links)) {
    const NetmondLink *link = first_usable_link (self);
    online = "limited";
    reason = g_strdup_printf ("%s up with %s, but no default route", link ? link->name : "a link",
                              link ? (const char *) g_ptr_array_index (link->addresses, 0) : "an address");
  } else if (probed > 0 && reachable == 0) {
    online = "limited";
    reason = g_strdup_printf ("default route via %s, but none of %u targets reachable",
                              netmond_links_get_default_route_link (self->links), probed);
  } else {
    online = "full";
    if (probed > 0)
      reason = g_strdup_printf ("default route via %s, %u of %u targets reachable",
                                netmond_links_get_default_route_link (self->links), reachable, probed);
    else
      reason = g_strdup_printf ("default route via %s", netmond_links_get_default_route_link (self->links));
  }
  if (g_strcmp0 (kl_net_mon1_get_online (self->iface), online) != 0)
    g_message ("online: %s -> %s (%s)", kl_net_mon1_get_online (self->iface), online, reason);
  kl_net_mon1_set_online (self->iface, online);
  kl_net_mon1_set_online_reason (self->iface, reason);
}

/* Links */

static GVariant *
links_variant (NetmondService *self)
{
  GPtrArray *links = netmond_links_get_links (self->links);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssas)"));
  for (guint i = 0; i < links->len; i++) {
    const NetmondLink *link = g_ptr_array_index (links, i);

    g_variant_builder_open (&builder, G_VARIANT_TYPE ("(ssas)"));
    g_variant_builder_add (&builder, "s", link->name);
    g_variant_builder_add (&builder, "s", netmond_link_state_to_string (link->state));
    g_variant_builder_open (&builder, G_VARIANT_TYPE ("as"));
    for (guint j = 0; j < link->addresses->len; j++)
      g_variant_builder_add (&builder, "s", (const char *) g_ptr_array_index (link->addresses, j));
    g_variant_builder_close (&builder);
    g_variant_builder_close (&builder);
  }
  return g_variant_builder_end (&builder);
}

static void
update_links (NetmondService *self)
{
  GVariant *links = links_variant (self);
  KlNetFacts *facts = kl_net_facts_new (links);

  kl_net_mon1_set_links (self->iface, links);
  if (kl_net_facts_gained (self->link_facts, facts)) {
    g_message ("a link came up or an address came: resolving and probing again now");
    netmond_servers_retry_now (self->servers);
    netmond_probes_probe_all_now (self->probes);
  }
  g_clear_pointer (&self->link_facts, kl_net_facts_free);
  self->link_facts = facts;
  update_online (self);
}

static void
on_links_changed (NetmondLinks *links, gpointer user_data)
{
  update_links (user_data);
}

/* Servers and probes */

/* The targets in the order to try them, address, port and SRV priority: for
 * TargetsChanged and Resolve */
static GVariant *
targets_variant (const KlSipTargets *targets)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sqq)"));
  for (guint i = 0; targets != NULL && i < targets->targets->len; i++) {
    const KlSipTarget *target = g_ptr_array_index (targets->targets, i);
    g_autofree char *address = g_inet_address_to_string (target->address);

    g_variant_builder_add (&builder, "(sqq)", address, target->port, target->priority);
  }
  return g_variant_builder_end (&builder);
}

/* One entry of a server's "targets" in the Servers property, with the keys
 * the XML documents */
static GVariant *
target_entry (const KlSipTarget *target)
{
  GVariantBuilder entry;
  g_autofree char *address = g_inet_address_to_string (target->address);

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "address", g_variant_new_string (address));
  g_variant_builder_add (&entry, "{sv}", "port", g_variant_new_uint16 (target->port));
  g_variant_builder_add (&entry, "{sv}", "priority", g_variant_new_uint16 (target->priority));
  g_variant_builder_add (&entry, "{sv}", "weight", g_variant_new_uint16 (target->weight));
  return g_variant_builder_end (&entry);
}

/* One entry of the Servers property, with the keys the XML documents */
static GVariant *
server_entry (const NetmondServer *server)
{
  GVariantBuilder entry;
  GVariantBuilder targets;
  const char *transport = kl_transport_to_string (server->transport);
  const char *state = netmond_server_state_to_string (server->state);
  guint32 ttl_s = server->targets ? server->targets->ttl_s : 0;
  const char *error = server->error ? server->error->message : "";
  const char *incomplete = server->targets && server->targets->incomplete ? server->targets->incomplete : "";

  g_variant_builder_init (&targets, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; server->targets != NULL && i < server->targets->targets->len; i++)
    g_variant_builder_add_value (&targets, target_entry (g_ptr_array_index (server->targets->targets, i)));

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "host", g_variant_new_string (server->host));
  g_variant_builder_add (&entry, "{sv}", "port", g_variant_new_uint16 (server->port));
  g_variant_builder_add (&entry, "{sv}", "transport", g_variant_new_string (transport));
  g_variant_builder_add (&entry, "{sv}", "state", g_variant_new_string (state));
  g_variant_builder_add (&entry, "{sv}", "targets", g_variant_builder_end (&targets));
  g_variant_builder_add (&entry, "{sv}", "ttl-s", g_variant_new_uint32 (ttl_s));
  g_variant_builder_add (&entry, "{sv}", "error", g_variant_new_string (error));
  g_variant_builder_add (&entry, "{sv}", "incomplete", g_variant_new_string (incomplete));
  return g_variant_builder_end (&entry);
}

/* One entry of the Probes property, with the keys the XML documents */
static GVariant *
probe_entry (const NetmondProbe *probe)
{
  GVariantBuilder entry;
  GInetAddress *inet = g_inet_socket_address_get_address (probe->address);
  g_autofree char *address = g_inet_address_to_string (inet);
  guint16 port = g_inet_socket_address_get_port (probe->address);
  const char *transport = kl_transport_to_string (probe->transport);
  const char *state = netmond_probe_state_to_string (probe->state);

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "address", g_variant_new_string (address));
  g_variant_builder_add (&entry, "{sv}", "port", g_variant_new_uint16 (port));
  g_variant_builder_add (&entry, "{sv}", "transport", g_variant_new_string (transport));
  g_variant_builder_add (&entry, "{sv}", "state", g_variant_new_string (state));
  g_variant_builder_add (&entry, "{sv}", "reason", g_variant_new_string (probe->reason));
  g_variant_builder_add (&entry, "{sv}", "rtt-ms", g_variant_new_int32 (probe->rtt_ms));
  return g_variant_builder_end (&entry);
}

static void
update_probe_targets (NetmondService *self, GPtrArray *servers)
{
  g_autoptr (GArray) targets = g_array_new (FALSE, FALSE, sizeof (NetmondProbeTarget));

  for (guint i = 0; i < servers->len; i++) {
    const NetmondServer *server = g_ptr_array_index (servers, i);
    for (guint j = 0; server->targets != NULL && j < server->targets->targets->len; j++) {
      const KlSipTarget *target = g_ptr_array_index (server->targets->targets, j);
      NetmondProbeTarget probe = { target->address, target->port, server->transport };
      g_array_append_val (targets, probe);
    }
  }
  netmond_probes_set_targets (self->probes, (NetmondProbeTarget *) targets->data, targets->len);
}

static void
update_servers (NetmondService *self)
{
  g_autoptr (GPtrArray) servers = netmond_servers_get_all (self->servers);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < servers->len; i++)
    g_variant_builder_add_value (&builder, server_entry (g_ptr_array_index (servers, i)));
  kl_net_mon1_set_servers (self->iface, g_variant_builder_end (&builder));
  kl_net_mon1_set_dns_queries (self->iface,
                               kl_dns_client_get_queries_sent (netmond_resolver_get_client (self->resolver)));
  kl_net_mon1_set_dns_cache_hits (self->iface, netmond_resolver_get_cache_hits (self->resolver));
  update_probe_targets (self, servers);
}

static void
on_server_changed (NetmondServers *servers, const NetmondServer *server, gboolean targets_changed, gpointer user_data)
{
  NetmondService *self = user_data;

  update_servers (self);
  if (targets_changed)
    kl_net_mon1_emit_targets_changed (self->iface, server->host, server->port,
                                      kl_transport_to_string (server->transport),
                                      targets_variant (server->targets));
}

static void
on_probes_changed (NetmondProbes *probes, gpointer user_data)
{
  NetmondService *self = user_data;
  g_autoptr (GPtrArray) all = netmond_probes_get_all (probes);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < all->len; i++)
    g_variant_builder_add_value (&builder, probe_entry (g_ptr_array_index (all, i)));
  kl_net_mon1_set_probes (self->iface, g_variant_builder_end (&builder));
  update_online (self);
}

/* D-Bus methods */

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char *sender,
                       const char *path,
                       const char *interface,
                       const char *signal,
                       GVariant *parameters,
                       gpointer user_data)
{
  NetmondService *self = user_data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (self->servers == NULL || *new_owner != '\0' || !netmond_servers_has_watcher (self->servers, name))
    return; /* stopping, someone coming, or not a watcher */
  g_message ("%s left the bus: its servers are no longer watched", name);
  netmond_servers_drop_watcher (self->servers, name);
  update_servers (self);
}

static gboolean
parse_transport (GDBusMethodInvocation *invocation, const char *text, KlTransport *ret_transport)
{
  if (kl_transport_from_string (text, ret_transport))
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, NETMOND_ERROR, NETMOND_ERROR_INVALID_ARGS,
                                         "transport '%s': it must be udp, tcp or tls", text);
  return FALSE;
}

static gboolean
on_handle_watch_servers (KlNetMon1 *iface, GDBusMethodInvocation *invocation, GVariant *servers, gpointer user_data)
{
  NetmondService *self = user_data;
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (NetmondServerId));
  g_autoptr (GError) error = NULL;
  GVariantIter iter;
  NetmondServerId id;
  const char *transport;

  if (sender == NULL)
    sender = "";
  g_variant_iter_init (&iter, servers);
  while (g_variant_iter_next (&iter, "(&sq&s)", &id.host, &id.port, &transport)) {
    if (*id.host == '\0') {
      g_dbus_method_invocation_return_error_literal (invocation, NETMOND_ERROR, NETMOND_ERROR_INVALID_ARGS,
                                                     "a server has an empty host");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    if (!parse_transport (invocation, transport, &id.transport))
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    g_array_append_val (ids, id);
  }
  if (!netmond_servers_set_watched (self->servers, sender, (NetmondServerId *) ids->data, ids->len, &error)) {
    g_dbus_method_invocation_return_error_literal (invocation, NETMOND_ERROR, NETMOND_ERROR_TOO_MANY, error->message);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  update_servers (self);
  kl_net_mon1_complete_watch_servers (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct {
  NetmondService *service;
  GDBusMethodInvocation *invocation; /* the handler's, which completing it gives up */
  char *caller;
} ResolveCall;

static void
count_resolving (NetmondService *self, const char *caller, int change)
{
  guint waiting = GPOINTER_TO_UINT (g_hash_table_lookup (self->resolving, caller)) + change;

  if (waiting == 0)
    g_hash_table_remove (self->resolving, caller);
  else
    g_hash_table_replace (self->resolving, g_strdup (caller), GUINT_TO_POINTER (waiting));
}

static void
on_resolved_for_call (const KlSipTargets *targets, const GError *error, gpointer user_data)
{
  ResolveCall *call = user_data;
  GDBusMethodInvocation *invocation = call->invocation;
  KlNetMon1 *iface = KL_NET_MON1 (g_dbus_method_invocation_get_user_data (invocation));

  count_resolving (call->service, call->caller, -1);
  g_free (call->caller);
  g_free (call);

  if (targets != NULL) {
    kl_net_mon1_complete_resolve (iface, invocation, targets_variant (targets), targets->ttl_s, targets->path);
    return;
  }
  if (g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME))
    g_dbus_method_invocation_return_error_literal (invocation, NETMOND_ERROR, NETMOND_ERROR_INVALID_ARGS,
                                                   error->message);
  else
    g_dbus_method_invocation_return_gerror (invocation, error);
}

static gboolean
on_handle_resolve (KlNetMon1 *iface,
                   GDBusMethodInvocation *invocation,
                   const char *host,
                   guint16 port,
                   const char *transport_text,
                   gpointer user_data)
{
  NetmondService *self = user_data;
  const char *caller = g_dbus_method_invocation_get_sender (invocation);
  KlTransport transport;
  ResolveCall *call;

  if (caller == NULL)
    caller = "";
  if (GPOINTER_TO_UINT (g_hash_table_lookup (self->resolving, caller)) >= MAX_RESOLVES_PER_CALLER) {
    g_dbus_method_invocation_return_error (invocation, NETMOND_ERROR, NETMOND_ERROR_TOO_MANY,
                                           "%d Resolve calls of yours wait for their answer already",
                                           MAX_RESOLVES_PER_CALLER);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  if (*host == '\0') {
    g_dbus_method_invocation_return_error_literal (invocation, NETMOND_ERROR, NETMOND_ERROR_INVALID_ARGS,
                                                   "the host is empty");
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  if (!parse_transport (invocation, transport_text, &transport))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  call = g_new0 (ResolveCall, 1);
  call->service = self;
  call->invocation = invocation;
  call->caller = g_strdup (caller);
  count_resolving (self, caller, +1);
  netmond_servers_resolve (self->servers, host, port, transport, on_resolved_for_call, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Lifetime */

static KlDnsClient *
dns_client_from_config (KlClock *clock, KlConfig *config, GError **error)
{
  g_autoptr (GInetSocketAddress) server = NULL;

  if (!kl_dns_server_from_config (config, &server, error))
    return NULL;
  if (server != NULL) {
    g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (server));
    g_message ("nameserver %s:%u, from 'sip dns server'", address, g_inet_socket_address_get_port (server));
  }
  return kl_dns_client_new (clock, server, NULL);
}

NetmondService *
netmond_service_new (KlClock *clock, KlConfig *config, guint32 seed, GError **error)
{
  g_autoptr (NetmondService) self = g_new0 (NetmondService, 1);
  KlDnsClient *client;
  KlDnsSource source;

  netmond_error_register_dns ();
  self->clock = kl_clock_ref (clock);
  self->resolving = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->iface = kl_net_mon1_skeleton_new ();
  client = dns_client_from_config (clock, config, error);
  if (client == NULL)
    return NULL;
  self->resolver = netmond_resolver_new (clock, client);
  source = netmond_resolver_get_source (self->resolver);
  self->servers = netmond_servers_new (clock, &source, seed, on_server_changed, self);
  self->probes = netmond_probes_new (clock, (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT),
                                     on_probes_changed, self);
  kl_net_mon1_set_online (self->iface, "none");
  kl_net_mon1_set_servers (self->iface, g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
  kl_net_mon1_set_probes (self->iface, g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
  self->links = netmond_links_new (on_links_changed, self, error);
  if (self->links == NULL)
    return NULL;
  update_links (self);
  g_signal_connect (self->iface, "handle-watch-servers", G_CALLBACK (on_handle_watch_servers), self);
  g_signal_connect (self->iface, "handle-resolve", G_CALLBACK (on_handle_resolve), self);
  return g_steal_pointer (&self);
}

/* Before the main loop ends: what is under way (probes, queries) is
 * cancelled while the loop can still take their last callbacks. */
void
netmond_service_stop (NetmondService *self)
{
  netmond_service_unexport (self);
  g_clear_pointer (&self->links, netmond_links_free);
  g_clear_pointer (&self->probes, netmond_probes_free);
  g_clear_pointer (&self->servers, netmond_servers_free);
  g_clear_pointer (&self->resolver, netmond_resolver_free);
}

void
netmond_service_free (NetmondService *self)
{
  if (self == NULL)
    return;
  netmond_service_stop (self);
  g_clear_pointer (&self->resolving, g_hash_table_unref); /* the servers answered what waited as they went */
  g_clear_pointer (&self->link_facts, kl_net_facts_free);
  g_clear_object (&self->iface);
  kl_clock_unref (self->clock);
  g_free (self);
}

gboolean
netmond_service_export (NetmondService *self, GDBusConnection *connection, GError **error)
{
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection,
                                         NETMOND_SERVICE_PATH, error))
    return FALSE;
  self->connection = g_object_ref (connection);
  /* a unique name that leaves the bus is announced with an empty new owner */
  self->name_owner_changed = g_dbus_connection_signal_subscribe (
    connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
    G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self, NULL);
  return TRUE;
}

void
netmond_service_unexport (NetmondService *self)
{
  if (self->connection == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_changed);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_clear_object (&self->connection);
}

const char *
netmond_service_get_online (NetmondService *self)
{
  return kl_net_mon1_get_online (self->iface);
}
