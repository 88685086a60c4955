/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd's side of netmond: whether netmond is on the bus, the servers sipd
 * wants it to watch (sent again whenever netmond appears), its answers to
 * Resolve, and what its signals say: a watched server's targets changed, the
 * network lost something (a link went down, an address went), the network
 * gained something (a link came up, an address came). sipd works without it. */
#pragma once

#include <gio/gio.h>

#include "kl-dns-sip.h"

G_BEGIN_DECLS

typedef struct {
  void (*targets_changed) (const char *host,
                           guint16 port,
                           KlTransport transport,
                           const KlSipTargets *targets,
                           gpointer user_data);
  void (*network_lost) (gpointer user_data);
  void (*network_gained) (gpointer user_data);
} SipdNetmonHandlers;

typedef struct _SipdNetmon SipdNetmon;

SipdNetmon *sipd_netmon_new (GDBusConnection *connection, const SipdNetmonHandlers *handlers, gpointer user_data);
void sipd_netmon_free (SipdNetmon *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdNetmon, sipd_netmon_free)

gboolean sipd_netmon_is_present (SipdNetmon *self);
/* servers: a(sqs), host, port and transport of each; kept and sent whenever
 * netmond is (again) on the bus */
void sipd_netmon_watch_servers (SipdNetmon *self, GVariant *servers);

void sipd_netmon_resolve (SipdNetmon *self,
                          const char *host,
                          guint16 port,
                          KlTransport transport,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
/* NULL with error: ret_answered says whether netmond answered (a DNS error:
 * the name has no targets) or could not be asked (resolve alone then). */
KlSipTargets *sipd_netmon_resolve_finish (GObject *source,
                                          const char *host,
                                          GAsyncResult *result,
                                          gboolean *ret_answered,
                                          GError **error);

/* TRUE when netmond says no interface has the address any more. */
gboolean sipd_netmon_address_is_gone (SipdNetmon *self, GInetAddress *address);

G_END_DECLS
