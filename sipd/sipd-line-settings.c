/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-line-settings.h"

#include <string.h>

char *
sipd_format_host_port (const char *host, guint16 port)
{
  gboolean v6 = strchr (host, ':') != NULL;

  if (port == 0)
    return v6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  return g_strdup_printf (v6 ? "[%s]:%u" : "%s:%u", host, port);
}

guint16
sipd_transport_default_port (SipdTransport transport)
{
  return transport == SIPD_TRANSPORT_TLS ? 5061 : 5060;
}

static SipdTransport
transport_of (gint64 protocol)
{
  /* 0 (UDP and TCP) registers over UDP; TCP is for what does not fit. */
  return protocol == 2 ? SIPD_TRANSPORT_TCP : protocol == 4 ? SIPD_TRANSPORT_TLS : SIPD_TRANSPORT_UDP;
}

static char *
sip_uri (const char *host, guint16 port, SipdTransport transport, const char *extra)
{
  g_autofree char *host_port = sipd_format_host_port (host, port);

  return g_strdup_printf ("sip:%s%s%s%s", host_port, transport == SIPD_TRANSPORT_UDP ? "" : ";transport=",
                          transport == SIPD_TRANSPORT_UDP ? "" : sipd_transport_to_string (transport),
                          extra ? extra : "");
}

static guint
scaled (KlConfig *config, guint line, KlConfigKey key)
{
  gint64 percent = kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);
  return (guint) MAX (1, kl_config_get_int (config, line, key) * percent / 100);
}

SipdLineSettings *
sipd_line_settings_new (KlConfig *config, guint line)
{
  SipdLineSettings *self = g_new0 (SipdLineSettings, 1);
  const char *proxy_host = NULL, *registrar_host = NULL, *outbound_host = NULL;
  guint16 proxy_port = 0, registrar_port = 0, outbound_port = 0;
  gboolean has_proxy, has_registrar, has_outbound;
  g_autofree char *domain = NULL;

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

  has_proxy = kl_config_get_server (config, line, KL_CONFIG_KEY_PROXY_IP, KL_CONFIG_KEY_PROXY_PORT,
                                    &proxy_host, &proxy_port);
  has_registrar = kl_config_get_server (config, line, KL_CONFIG_KEY_REGISTRAR_IP,
                                        KL_CONFIG_KEY_REGISTRAR_PORT, &registrar_host, &registrar_port);
  has_outbound = kl_config_get_server (config, line, KL_CONFIG_KEY_OUTBOUND_PROXY,
                                       KL_CONFIG_KEY_OUTBOUND_PROXY_PORT, &outbound_host, &outbound_port);
  /* kl_config_check() made sure a line in use has one of the two */
  if (!has_registrar) {
    registrar_host = proxy_host;
    registrar_port = proxy_port;
  }
  if (!has_proxy) {
    proxy_host = registrar_host;
    proxy_port = registrar_port;
  }

  domain = sipd_format_host_port (proxy_host, 0);
  self->aor = g_strdup_printf ("sip:%s@%s", self->user, domain);
  self->proxy = sipd_format_host_port (proxy_host, proxy_port);
  self->registrar = sipd_format_host_port (registrar_host, registrar_port);
  self->registrar_uri = sip_uri (registrar_host, registrar_port, self->transport, NULL);
  if (has_outbound) {
    g_autofree char *route_uri = sip_uri (outbound_host, outbound_port, self->transport, ";lr");
    self->route = g_strdup_printf ("<%s>", route_uri);
    self->flow_host = g_strdup (outbound_host);
    self->flow_port = outbound_port;
  } else {
    self->flow_host = g_strdup (registrar_host);
    self->flow_port = registrar_port;
  }

  self->outbound = kl_config_get_bool (config, line, KL_CONFIG_KEY_OUTBOUND_SUPPORT);
  self->expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_REGISTRATION_PERIOD);
  self->renewal_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER);
  self->retry_s = scaled (config, line, KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER);
  self->timeout_retry_s = scaled (config, line, KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER);
  self->keepalive_s = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_OUTBOUND_KEEP_ALIVE_TIMER);
  self->keepalive_without_outbound = self->transport == SIPD_TRANSPORT_TLS &&
                                     kl_config_get_bool (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS);
  if (self->keepalive_without_outbound && !self->outbound &&
      kl_config_get_int (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE) > 0)
    self->keepalive_s = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE);
  self->timer_scale_percent = (guint) kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT);
  self->explicit_mwi = kl_config_get_bool (config, line, KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION);
  self->mwi_expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION_PERIOD);
  self->blf = kl_config_get_list (config, line, KL_CONFIG_KEY_BLF_EXTENSIONS);
  self->blf_expires_s = (guint) kl_config_get_int (config, line, KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD);
  self->subscription_retry_s = scaled (config, line, KL_CONFIG_KEY_SUBSCRIPTION_FAILED_RETRY_TIMER);
  self->subscription_timeout_retry_s = scaled (config, line, KL_CONFIG_KEY_SUBSCRIPTION_TIMEOUT_RETRY_TIMER);
  return self;
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
  g_free (self->aor);
  g_free (self->registrar_uri);
  g_free (self->route);
  g_free (self->proxy);
  g_free (self->registrar);
  g_free (self->flow_host);
  g_strfreev (self->blf);
  g_free (self);
}

gboolean
sipd_line_settings_equal (const SipdLineSettings *a, const SipdLineSettings *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->index == b->index && g_str_equal (a->user, b->user) && g_str_equal (a->auth_user, b->auth_user) &&
         g_str_equal (a->password, b->password) && g_str_equal (a->display_name, b->display_name) &&
         g_str_equal (a->screen_name, b->screen_name) && g_str_equal (a->aor, b->aor) &&
         g_str_equal (a->registrar_uri, b->registrar_uri) && g_strcmp0 (a->route, b->route) == 0 &&
         a->transport == b->transport && g_str_equal (a->flow_host, b->flow_host) &&
         a->flow_port == b->flow_port && a->outbound == b->outbound && a->expires_s == b->expires_s &&
         a->renewal_s == b->renewal_s && a->retry_s == b->retry_s && a->timeout_retry_s == b->timeout_retry_s &&
         a->keepalive_s == b->keepalive_s && a->keepalive_without_outbound == b->keepalive_without_outbound &&
         a->timer_scale_percent == b->timer_scale_percent && a->explicit_mwi == b->explicit_mwi &&
         a->mwi_expires_s == b->mwi_expires_s && g_strv_equal ((const char *const *) a->blf,
                                                               (const char *const *) b->blf) &&
         a->blf_expires_s == b->blf_expires_s && a->subscription_retry_s == b->subscription_retry_s &&
         a->subscription_timeout_retry_s == b->subscription_timeout_retry_s;
}
