/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-line-settings.h"

#include "sipd-rtt.h"

#include <string.h>

char *
sipd_format_host_port (const char *host, guint16 port)
{
  gboolean v6 = strchr (host, ':') != NULL;

  if (port == 0)
    return v6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  return g_strdup_printf (v6 ? "[%s]:%u" : "%s:%u", host, port);
}

static KlTransport
transport_of (gint64 protocol)
{
  /* 0 (UDP and TCP) registers over UDP; TCP is for what does not fit. */
  return protocol == 2 ? KL_TRANSPORT_TCP : protocol == 4 ? KL_TRANSPORT_TLS : KL_TRANSPORT_UDP;
}

static char *
sip_uri (const char *host, guint16 port, KlTransport transport, const char *extra)
{
  g_autofree char *host_port = sipd_format_host_port (host, port);

  return g_strdup_printf ("sip:%s%s%s%s", host_port, transport == KL_TRANSPORT_UDP ? "" : ";transport=",
                          transport == KL_TRANSPORT_UDP ? "" : kl_transport_to_string (transport),
                          extra ? extra : "");
}

static guint
scaled (KlConfig *config, guint line, KlConfigKey key)
{
  gint64 percent = kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);
  return (guint) MAX (1, kl_config_get_int (config, line, key) * percent / 100);
}

static void
read_server (KlConfig *config, guint line, KlConfigKey host_key, KlConfigKey port_key, SipdServer *ret_server)
{
  const char *host;
  guint16 port;

  if (kl_config_get_server (config, line, host_key, port_key, &host, &port)) {
    ret_server->host = g_strdup (host);
    ret_server->port = port;
  }
}

SipdLineSettings *
sipd_line_settings_new (KlConfig *config, guint line)
{
  SipdLineSettings *self = g_new0 (SipdLineSettings, 1);
  SipdServer *proxy, *registrar;

  g_return_val_if_fail (kl_config_line_in_use (config, line), NULL);

  self->index = line;
  self->user = g_strdup (kl_config_get_string (config, line, KL_CONFIG_KEY_USER_NAME));
  self->auth_user = g_strdup (kl_config_get_string (config, line, KL_CONFIG_KEY_AUTH_NAME));
  if (*self->auth_user == '\0') {
    g_free (self->auth_user);
    self->auth_user = g_strdup (self->user);
  }
  self->password = g_strdup (kl_config_get_string (config, line, KL_CONFIG_KEY_PASSWORD));
  self->display_name = g_strdup (kl_config_get_string (config, line, KL_CONFIG_KEY_DISPLAY_NAME));
  self->screen_name = g_strdup (kl_config_get_string (config, line, KL_CONFIG_KEY_SCREEN_NAME));
  self->transport = transport_of (kl_config_get_int (config, line, KL_CONFIG_KEY_TRANSPORT_PROTOCOL));

  read_server (config, line, KL_CONFIG_KEY_PROXY_IP, KL_CONFIG_KEY_PROXY_PORT, &self->servers[SIPD_ROLE_PROXY][0]);
  read_server (config, line, KL_CONFIG_KEY_REGISTRAR_IP, KL_CONFIG_KEY_REGISTRAR_PORT,
               &self->servers[SIPD_ROLE_REGISTRAR][0]);
  read_server (config, line, KL_CONFIG_KEY_OUTBOUND_PROXY, KL_CONFIG_KEY_OUTBOUND_PROXY_PORT,
               &self->servers[SIPD_ROLE_OUTBOUND_PROXY][0]);
  read_server (config, line, KL_CONFIG_KEY_BACKUP_PROXY_IP, KL_CONFIG_KEY_BACKUP_PROXY_PORT,
               &self->servers[SIPD_ROLE_PROXY][1]);
  read_server (config, line, KL_CONFIG_KEY_BACKUP_REGISTRAR_IP, KL_CONFIG_KEY_BACKUP_REGISTRAR_PORT,
               &self->servers[SIPD_ROLE_REGISTRAR][1]);
  read_server (config, line, KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY, KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT,
               &self->servers[SIPD_ROLE_OUTBOUND_PROXY][1]);

  /* kl_config_check() made sure a line in use has a proxy or a registrar:
   * each stands in for the other when only one is set */
  proxy = self->servers[SIPD_ROLE_PROXY];
  registrar = self->servers[SIPD_ROLE_REGISTRAR];
  for (guint i = 0; i < 2; i++) {
    if (registrar[i].host == NULL && proxy[i].host != NULL) {
      registrar[i].host = g_strdup (proxy[i].host);
      registrar[i].port = proxy[i].port;
    } else if (proxy[i].host == NULL && registrar[i].host != NULL) {
      proxy[i].host = g_strdup (registrar[i].host);
      proxy[i].port = registrar[i].port;
    }
  }
  for (guint role = 0; role < SIPD_N_ROLES; role++)
    self->failover.has_backup[role] = self->servers[role][1].host != NULL;

  self->outbound = kl_config_get_bool (config, line, KL_CONFIG_KEY_OUTBOUND_SUPPORT);
  self->dual_flow = self->outbound && self->failover.has_backup[SIPD_ROLE_OUTBOUND_PROXY] &&
                    kl_config_get_bool (config, line, KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW);
  self->expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_REGISTRATION_PERIOD);
  self->renewal_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER);
  self->retry_s = scaled (config, line, KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER);
  self->timeout_retry_s = scaled (config, line, KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER);
  self->keepalive_s = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_OUTBOUND_KEEP_ALIVE_TIMER);
  self->keepalive_without_outbound = self->transport == KL_TRANSPORT_TLS &&
                                     kl_config_get_bool (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS);
  if (self->keepalive_without_outbound && !self->outbound &&
      kl_config_get_int (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE) > 0)
    self->keepalive_s = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE);
  self->timer_scale_percent = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);
  /* a lab may scale it down, not below what a loaded host's scheduler needs */
  self->suspect_floor_ms = MAX (SIPD_SUSPECT_FLOOR_MIN_MS, scaled (config, 0, KL_CONFIG_KEY_OUTBOUND_SUSPECT_FLOOR));
  self->options_keepalive_s = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_KEEP_ALIVE_OPTIONS_INTERVAL);
  self->explicit_mwi = kl_config_get_bool (config, line, KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION);
  self->mwi_expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION_PERIOD);
  self->blf = kl_config_get_list (config, line, KL_CONFIG_KEY_BLF_EXTENSIONS);
  self->blf_expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD);
  self->subscription_retry_s = scaled (config, line, KL_CONFIG_KEY_SUBSCRIPTION_FAILED_RETRY_TIMER);
  self->subscription_timeout_retry_s = scaled (config, line, KL_CONFIG_KEY_SUBSCRIPTION_TIMEOUT_RETRY_TIMER);
  return self;
}

static const SipdServer *
active (const SipdLineSettings *settings, const SipdFailoverChoice *choice, SipdRole role)
{
  return &settings->servers[role][choice->use_backup[role] ? 1 : 0];
}

/* One server under two names: the same host, and the same port once an
 * unset port stands for the transport's default. */
static gboolean
same_server (const SipdServer *a, const SipdServer *b, KlTransport transport)
{
  guint16 fallback = transport == KL_TRANSPORT_TLS ? 5061 : 5060;

  return g_ascii_strcasecmp (a->host, b->host) == 0 &&
         (a->port ? a->port : fallback) == (b->port ? b->port : fallback);
}

SipdPlanServers *
sipd_plan_servers_new (const SipdLineSettings *settings, const SipdFailoverChoice *choice)
{
  SipdPlanServers *self = g_new0 (SipdPlanServers, 1);
  const SipdServer *proxy = active (settings, choice, SIPD_ROLE_PROXY);
  const SipdServer *registrar = active (settings, choice, SIPD_ROLE_REGISTRAR);
  const SipdServer *outbound = active (settings, choice, SIPD_ROLE_OUTBOUND_PROXY);
  g_autofree char *domain = sipd_format_host_port (proxy->host, 0);

  self->aor = g_strdup_printf ("sip:%s@%s", settings->user, domain);
  self->proxy = sipd_format_host_port (proxy->host, proxy->port);
  self->registrar = sipd_format_host_port (registrar->host, registrar->port);
  self->registrar_uri = sip_uri (registrar->host, registrar->port, settings->transport, NULL);
  if (outbound->host != NULL) {
    g_autofree char *route_uri = sip_uri (outbound->host, outbound->port, settings->transport, ";lr");
    self->route = g_strdup_printf ("<%s>", route_uri);
    self->next_hop = (SipdServer) { g_strdup (outbound->host), outbound->port };
  } else {
    self->next_hop = (SipdServer) { g_strdup (registrar->host), registrar->port };
    if (!same_server (proxy, registrar, settings->transport))
      self->proxy_hop = (SipdServer) { g_strdup (proxy->host), proxy->port };
  }
  self->on_backup = sipd_failover_choice_any (choice);
  return self;
}

SipdPlanServers *
sipd_plan_servers_copy (const SipdPlanServers *self)
{
  SipdPlanServers *copy = g_new0 (SipdPlanServers, 1);

  copy->aor = g_strdup (self->aor);
  copy->registrar_uri = g_strdup (self->registrar_uri);
  copy->route = g_strdup (self->route);
  copy->proxy = g_strdup (self->proxy);
  copy->registrar = g_strdup (self->registrar);
  copy->next_hop = (SipdServer) { g_strdup (self->next_hop.host), self->next_hop.port };
  copy->proxy_hop = (SipdServer) { g_strdup (self->proxy_hop.host), self->proxy_hop.port };
  copy->on_backup = self->on_backup;
  return copy;
}

void
sipd_plan_servers_free (SipdPlanServers *self)
{
  g_free (self->aor);
  g_free (self->registrar_uri);
  g_free (self->route);
  g_free (self->proxy);
  g_free (self->registrar);
  g_free (self->next_hop.host);
  g_free (self->proxy_hop.host);
  g_free (self);
}

/* The stack's flow to one of the server's targets (NULL: no TLS). */
SipdFlow *
sipd_server_get_flow (const SipdServer *server, SipdStack *stack, KlTransport transport, const KlSipTarget *target)
{
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new (target->address, target->port);

  return sipd_stack_get_flow (stack, transport, G_INET_SOCKET_ADDRESS (remote), server->host);
}

void
sipd_line_settings_free (SipdLineSettings *self)
{
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->user);
  g_free (self->auth_user);
  g_free (self->display_name);
  g_free (self->screen_name);
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    g_free (self->servers[role][0].host);
    g_free (self->servers[role][1].host);
  }
  g_strfreev (self->blf);
  g_free (self);
}

static gboolean
servers_equal (const SipdLineSettings *a, const SipdLineSettings *b)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    for (guint i = 0; i < 2; i++) {
      if (g_strcmp0 (a->servers[role][i].host, b->servers[role][i].host) != 0 ||
          a->servers[role][i].port != b->servers[role][i].port)
        return FALSE;
    }
  }
  return TRUE;
}

gboolean
sipd_line_settings_equal (const SipdLineSettings *a, const SipdLineSettings *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->index == b->index && g_str_equal (a->user, b->user) && g_str_equal (a->auth_user, b->auth_user) &&
         g_str_equal (a->password, b->password) && g_str_equal (a->display_name, b->display_name) &&
         g_str_equal (a->screen_name, b->screen_name) && servers_equal (a, b) &&
         a->transport == b->transport && a->outbound == b->outbound && a->dual_flow == b->dual_flow &&
         a->expires_s == b->expires_s &&
         a->renewal_s == b->renewal_s && a->retry_s == b->retry_s && a->timeout_retry_s == b->timeout_retry_s &&
         a->keepalive_s == b->keepalive_s && a->suspect_floor_ms == b->suspect_floor_ms &&
         a->options_keepalive_s == b->options_keepalive_s && a->keepalive_without_outbound == b->keepalive_without_outbound &&
         a->timer_scale_percent == b->timer_scale_percent && a->explicit_mwi == b->explicit_mwi &&
         a->mwi_expires_s == b->mwi_expires_s && g_strv_equal ((const char *const *) a->blf,
                                                               (const char *const *) b->blf) &&
         a->blf_expires_s == b->blf_expires_s && a->subscription_retry_s == b->subscription_retry_s &&
         a->subscription_timeout_retry_s == b->subscription_timeout_retry_s;
}

void
sipd_line_settings_add_watched_servers (const SipdLineSettings *self, GHashTable *seen, GVariantBuilder *servers)
{
  const char *transport = kl_transport_to_string (self->transport);

  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    for (guint i = 0; i < 2; i++) {
      const SipdServer *server = &self->servers[role][i];
      char *key;

      if (server->host == NULL)
        continue;
      key = g_strdup_printf ("%s %u %s", server->host, server->port, transport);
      if (g_hash_table_contains (seen, key)) {
        g_free (key);
        continue;
      }
      g_hash_table_add (seen, key);
      g_variant_builder_add (servers, "(sqs)", server->host, server->port, transport);
    }
  }
}
