/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SIP servers that clients on the bus asked netmond to watch: each one
 * resolved by RFC 3263, resolved again when the shortest TTL of its answer
 * runs out, and reported when the answer changes. A failed resolution keeps
 * the last good targets and is tried again with back-off. */
#pragma once

#include "kl-clock.h"
#include "kl-dns-sip.h"

G_BEGIN_DECLS

#define NETMOND_SERVERS_RETRY_MIN_S 5
#define NETMOND_SERVERS_RETRY_MAX_S 300
#define NETMOND_SERVERS_MAX 64
/* sipd is the one watcher a phone has; an administrator's tool or two may
 * watch beside it, and the bus policy lets no one else call WatchServers */
#define NETMOND_SERVERS_MAX_WATCHERS 8

typedef enum {
  NETMOND_SERVER_STATE_RESOLVING, /* no answer yet */
  NETMOND_SERVER_STATE_RESOLVED,
  NETMOND_SERVER_STATE_FAILED, /* the last try failed; the targets are the last good ones, if any */
} NetmondServerState;

typedef struct {
  char *host;
  guint16 port;
  KlTransport transport;
  NetmondServerState state;
  KlSipTargets *targets; /* the last good answer, or NULL */
  GError *error;         /* why the last try failed, or NULL */
  gint64 next_try_ms;    /* when it is resolved again; -1: never (an address) */
} NetmondServer;

typedef struct _NetmondServers NetmondServers;

/* The server's state or error changed; targets_changed when its targets did. */
typedef void (*NetmondServersChangedFunc) (NetmondServers *servers,
                                           const NetmondServer *server,
                                           gboolean targets_changed,
                                           gpointer user_data);
/* targets NULL when error is set */
typedef void (*NetmondServersResolveFunc) (const KlSipTargets *targets, const GError *error, gpointer user_data);

NetmondServers *netmond_servers_new (KlClock *clock,
                                     const KlDnsSource *source,
                                     guint32 seed,
                                     NetmondServersChangedFunc changed,
                                     gpointer user_data);
void netmond_servers_free (NetmondServers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondServers, netmond_servers_free)

typedef struct {
  const char *host;
  guint16 port;
  KlTransport transport;
} NetmondServerId;

/* A watcher's whole set of servers, replacing the set it gave before. FALSE
 * with G_IO_ERROR_NO_SPACE when more than NETMOND_SERVERS_MAX servers, or
 * NETMOND_SERVERS_MAX_WATCHERS watchers, would be watched; nothing changes
 * then. */
gboolean netmond_servers_set_watched (NetmondServers *self,
                                      const char *watcher,
                                      const NetmondServerId *ids,
                                      guint n_ids,
                                      GError **error);
void netmond_servers_drop_watcher (NetmondServers *self, const char *watcher);
gboolean netmond_servers_has_watcher (NetmondServers *self, const char *watcher);

/* The answer for a server: a watched one's last good targets, else a
 * resolution now (from the cache where it is fresh). */
void netmond_servers_resolve (NetmondServers *self,
                              const char *host,
                              guint16 port,
                              KlTransport transport,
                              NetmondServersResolveFunc func,
                              gpointer user_data);

/* Every failed or waiting server is tried again now: the network changed. */
void netmond_servers_retry_now (NetmondServers *self);

/* of NetmondServer, sorted by host, port and transport */
GPtrArray *netmond_servers_get_all (NetmondServers *self);

const char *netmond_server_state_to_string (NetmondServerState state);

G_END_DECLS
