/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a line is configured to do, derived from the .cfg keys once: its
 * servers and their backups, its credentials and timers; and, for a failover
 * choice, the servers of a plan: which AOR registers where, over which flow. */
#pragma once

#include "kl-config.h"
#include "kl-dns-sip.h"
#include "sipd-failover.h"
#include "sipd-flow.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct {
  char *host; /* NULL when not configured */
  guint16 port; /* 0 = the transport's default, or SRV for a name */
} SipdServer;

typedef struct {
  guint index;
  char *user;
  char *auth_user;
  char *password;
  char *display_name;
  char *screen_name;
  KlTransport transport;
  /* [role][0] the primary, [role][1] the backup */
  SipdServer servers[SIPD_N_ROLES][2];
  SipdFailoverConfig failover;

  gboolean outbound;
  gboolean dual_flow; /* a second flow, reg-id 2, through the backup outbound proxy */
  guint expires_s;
  guint renewal_s;
  guint retry_s;         /* after a rejected REGISTER */
  guint timeout_retry_s; /* after an unanswered REGISTER (outbound off) */
  guint keepalive_s;     /* configured keep-alive interval; 0 = RFC default */
  guint suspect_floor_ms; /* "sip outbound suspect floor", scaled */
  guint options_keepalive_s; /* "sip keep alive options interval" */
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
/* The servers, once each, for netmond to watch (a name) and probe: a(sqs). */
void sipd_line_settings_add_watched_servers (const SipdLineSettings *self, GHashTable *seen, GVariantBuilder *servers);

/* Where the line's requests go under one failover choice. */
typedef struct {
  char *aor;           /* sip:user@proxy-host: the primary or the backup AOR */
  char *registrar_uri; /* sip:registrar[:port][;transport=…] */
  char *route;         /* <sip:outbound-proxy…;lr> or NULL */
  char *proxy;         /* host[:port] of the proxy, for D-Bus */
  char *registrar;     /* host[:port] of the registrar, for D-Bus */
  SipdServer next_hop; /* where the flow goes: the outbound proxy if there is one, else the registrar */
  /* where requests outside the registration go over a flow of their own: the
   * proxy, when it is not the registrar and there is no outbound proxy;
   * host NULL otherwise */
  SipdServer proxy_hop;
  gboolean on_backup;
} SipdPlanServers;

SipdPlanServers *sipd_plan_servers_new (const SipdLineSettings *settings, const SipdFailoverChoice *choice);
SipdPlanServers *sipd_plan_servers_copy (const SipdPlanServers *self);
void sipd_plan_servers_free (SipdPlanServers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdPlanServers, sipd_plan_servers_free)

SipdFlow *sipd_server_get_flow (const SipdServer *server, SipdStack *stack, KlTransport transport,
                                const KlSipTarget *target);
char *sipd_format_host_port (const char *host, guint16 port);

G_END_DECLS
