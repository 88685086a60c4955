/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a line is configured to do, derived from the .cfg keys once: its AOR,
 * where its flow goes, the REGISTER's Request-URI and Route, and its timers. */
#pragma once

#include "kl-config.h"
#include "sipd-flow.h"

G_BEGIN_DECLS

typedef struct {
  guint index;
  char *user;
  char *auth_user;
  char *password;
  char *display_name;
  char *screen_name;
  char *aor;           /* sip:user@primary-proxy-host */
  char *registrar_uri; /* sip:registrar[:port][;transport=…] */
  char *route;         /* <sip:outbound-proxy…;lr> or NULL */
  char *proxy;         /* host[:port] of the proxy, for D-Bus */
  char *registrar;     /* host[:port] of the registrar, for D-Bus */

  /* the flow: to the outbound proxy if there is one, else to the registrar */
  SipdTransport transport;
  char *flow_host;
  guint16 flow_port; /* 0 = the transport's default, or SRV for a name */

  gboolean outbound;
  guint expires_s;
  guint renewal_s;
  guint retry_s;         /* after a rejected REGISTER */
  guint timeout_retry_s; /* after an unanswered REGISTER (outbound off) */
  guint keepalive_s;     /* configured keep-alive interval; 0 = RFC default */
  gboolean keepalive_without_outbound; /* persistent TLS keeps its connection alive */
  guint timer_scale_percent;
  gboolean explicit_mwi;
  guint mwi_expires_s;
  char **blf;
  guint blf_expires_s;
  guint subscription_retry_s;
  guint subscription_timeout_retry_s;
} SipdLineSettings;

SipdLineSettings *sipd_line_settings_new (KlConfig *config, guint line);
void sipd_line_settings_free (SipdLineSettings *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdLineSettings, sipd_line_settings_free)
gboolean sipd_line_settings_equal (const SipdLineSettings *a, const SipdLineSettings *b);

guint16 sipd_transport_default_port (SipdTransport transport);
char *sipd_format_host_port (const char *host, guint16 port);

G_END_DECLS
