/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-servers"

#include "netmond-servers.h"

typedef struct {
  NetmondServersResolveFunc func;
  gpointer user_data;
} Waiter;

typedef struct {
  NetmondServer public;
  NetmondServers *owner;
  char *key;
  guint watchers;
  KlTimer *timer;
  GCancellable *cancellable; /* of the resolution under way */
  guint failures;            /* in a row */
  guint incomplete;          /* answers in a row that left something out */
  GArray *waiters;           /* of Waiter: Resolve calls waiting for an answer */
} Server;

struct _NetmondServers {
  KlClock *clock;
  KlDnsSource source;
  guint32 seed;
  NetmondServersChangedFunc changed;
  gpointer user_data;
  GHashTable *servers; /* key -> Server */
  GHashTable *watched; /* watcher -> GStrv of keys */
};

static void resolve_server (Server *server);

const char *
netmond_server_state_to_string (NetmondServerState state)
{
  switch (state) {
  case NETMOND_SERVER_STATE_RESOLVING:
    return "resolving";
  case NETMOND_SERVER_STATE_RESOLVED:
    return "resolved";
  case NETMOND_SERVER_STATE_FAILED:
    return "failed";
  }
  g_return_val_if_reached ("failed");
}

static char *
key_of (const char *host, guint16 port, KlTransport transport)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);

  return g_strdup_printf ("%s %u %s", lower, port, kl_transport_to_string (transport));
}

static void
answer_waiters (Server *server)
{
  g_autoptr (GArray) waiters = g_steal_pointer (&server->waiters);

  server->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  for (guint i = 0; i < waiters->len; i++) {
    Waiter *waiter = &g_array_index (waiters, Waiter, i);
    waiter->func (server->public.targets, server->public.targets ? NULL : server->public.error, waiter->user_data);
  }
}

static void
on_timer (gpointer user_data)
{
  resolve_server (user_data);
}

/* 5 s, 10 s, … up to 300 s after the nth failure or incomplete answer in a row */
static gint64
back_off_ms (guint nth)
{
  return (gint64) MIN (NETMOND_SERVERS_RETRY_MIN_S << MIN (nth - 1, 8u), NETMOND_SERVERS_RETRY_MAX_S) * 1000;
}

static void
on_resolved (KlSipTargets *answer, const GError *error, gpointer user_data)
{
  Server *server = user_data;
  NetmondServer *public = &server->public;
  g_autoptr (KlSipTargets) targets = answer ? kl_sip_targets_copy (answer) : NULL;
  gboolean targets_changed = FALSE;
  gint64 delay_ms;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the server may be gone */
  g_clear_object (&server->cancellable);
  if (targets != NULL) {
    kl_sip_targets_fill_in (targets, public->targets);
    targets_changed = !kl_sip_targets_equal (public->targets, targets);
    if (targets_changed) {
      g_autofree char *text = kl_sip_targets_to_string (targets);
      g_message ("%s: %s (%s; TTL %u s)", server->key, text, targets->path, targets->ttl_s);
    }
    g_clear_pointer (&public->targets, kl_sip_targets_free);
    public->targets = g_steal_pointer (&targets);
    g_clear_error (&public->error);
    public->state = NETMOND_SERVER_STATE_RESOLVED;
    server->failures = 0;
    delay_ms = public->targets->ttl_s == G_MAXUINT32
                   ? -1
                   : (gint64) MAX (public->targets->ttl_s, NETMOND_SERVERS_RETRY_MIN_S) * 1000;
    if (public->targets->incomplete == NULL) {
      server->incomplete = 0;
    } else {
      /* asked again before the TTL runs out, until every lookup answers */
      if (server->incomplete++ == 0)
        g_message ("%s: incomplete: %s", server->key, public->targets->incomplete);
      delay_ms = MIN (delay_ms, back_off_ms (server->incomplete));
    }
  } else {
    g_message ("%s: %s%s", server->key, error->message,
               public->targets ? "; the last good targets stay" : "");
    g_clear_error (&public->error);
    public->error = g_error_copy (error);
    public->state = NETMOND_SERVER_STATE_FAILED;
    server->failures++;
    delay_ms = back_off_ms (server->failures);
  }
  public->next_try_ms = delay_ms < 0 ? -1 : kl_clock_now_ms (server->owner->clock) + delay_ms;
  if (delay_ms >= 0)
    kl_timer_start (server->timer, delay_ms);
  answer_waiters (server);
  server->owner->changed (server->owner, public, targets_changed, server->owner->user_data);
}

static void
resolve_server (Server *server)
{
  NetmondServer *public = &server->public;
  GCancellable *cancellable;

  kl_timer_stop (server->timer);
  if (server->cancellable != NULL) {
    g_cancellable_cancel (server->cancellable);
    g_clear_object (&server->cancellable);
  }
  server->cancellable = cancellable = g_cancellable_new ();
  kl_sip_resolve (&server->owner->source, public->host, public->port, public->transport, server->owner->seed,
                  cancellable, on_resolved, server);
}

static void
server_free (Server *server)
{
  NetmondServer *public = &server->public;
  g_autoptr (GError) gone = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s is no longer watched", server->key);

  for (guint i = 0; i < server->waiters->len; i++) {
    Waiter *waiter = &g_array_index (server->waiters, Waiter, i);
    waiter->func (NULL, gone, waiter->user_data);
  }
  if (server->cancellable != NULL)
    g_cancellable_cancel (server->cancellable);
  g_clear_object (&server->cancellable);
  kl_timer_free (server->timer);
  g_array_unref (server->waiters);
  g_clear_pointer (&public->targets, kl_sip_targets_free);
  g_clear_error (&public->error);
  g_free (public->host);
  g_free (server->key);
  g_free (server);
}

static Server *
server_new (NetmondServers *self, const NetmondServerId *id, char *key)
{
  Server *server = g_new0 (Server, 1);

  server->owner = self;
  server->key = key;
  server->public.host = g_ascii_strdown (id->host, -1);
  server->public.port = id->port;
  server->public.transport = id->transport;
  server->public.state = NETMOND_SERVER_STATE_RESOLVING;
  server->public.next_try_ms = -1;
  server->timer = kl_timer_new (self->clock, on_timer, server);
  server->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  return server;
}

/* Watchers */

static guint
count_new (NetmondServers *self, const NetmondServerId *ids, guint n_ids)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < n_ids; i++) {
    char *key = key_of (ids[i].host, ids[i].port, ids[i].transport);
    if (!g_hash_table_contains (self->servers, key))
      g_hash_table_add (seen, key);
    else
      g_free (key);
  }
  return g_hash_table_size (seen);
}

static void
release (NetmondServers *self, const char *const *keys)
{
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
    Server *server = g_hash_table_lookup (self->servers, keys[i]);
    if (server != NULL && --server->watchers == 0) {
      g_message ("%s: no longer watched", server->key);
      g_hash_table_remove (self->servers, keys[i]);
    }
  }
}

gboolean
netmond_servers_set_watched (NetmondServers *self,
                             const char *watcher,
                             const NetmondServerId *ids,
                             guint n_ids,
                             GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_null_terminated (n_ids, g_free, TRUE);
  g_auto (GStrv) old = NULL;
  g_autofree char *old_watcher = NULL;
  GPtrArray *started = g_ptr_array_new ();

  if (!g_hash_table_contains (self->watched, watcher) &&
      g_hash_table_size (self->watched) >= NETMOND_SERVERS_MAX_WATCHERS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "netmond has at most %u watchers",
                 NETMOND_SERVERS_MAX_WATCHERS);
    g_ptr_array_unref (started);
    return FALSE;
  }
  if (g_hash_table_size (self->servers) + count_new (self, ids, n_ids) > NETMOND_SERVERS_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "netmond watches at most %u servers", NETMOND_SERVERS_MAX);
    g_ptr_array_unref (started);
    return FALSE;
  }
  for (guint i = 0; i < n_ids; i++) {
    char *key = key_of (ids[i].host, ids[i].port, ids[i].transport);
    Server *server;

    if (g_ptr_array_find_with_equal_func (keys, key, g_str_equal, NULL)) {
      g_free (key);
      continue;
    }
    g_ptr_array_add (keys, key);
    server = g_hash_table_lookup (self->servers, key);
    if (server == NULL) {
      server = server_new (self, &ids[i], g_strdup (key));
      g_hash_table_insert (self->servers, server->key, server);
      g_ptr_array_add (started, server);
    }
    server->watchers++;
  }
  g_hash_table_steal_extended (self->watched, watcher, (gpointer *) &old_watcher, (gpointer *) &old);
  g_hash_table_insert (self->watched, g_strdup (watcher), g_ptr_array_steal (keys, NULL));
  release (self, (const char *const *) old);
  for (guint i = 0; i < started->len; i++) {
    Server *server = g_ptr_array_index (started, i);
    g_message ("%s: watched for %s", server->key, watcher);
    resolve_server (server);
  }
  g_ptr_array_unref (started);
  return TRUE;
}

void
netmond_servers_drop_watcher (NetmondServers *self, const char *watcher)
{
  g_auto (GStrv) old = NULL;
  g_autofree char *old_watcher = NULL;

  if (g_hash_table_steal_extended (self->watched, watcher, (gpointer *) &old_watcher, (gpointer *) &old))
    release (self, (const char *const *) old);
}

gboolean
netmond_servers_has_watcher (NetmondServers *self, const char *watcher)
{
  return g_hash_table_contains (self->watched, watcher);
}

/* Answers */

typedef struct {
  NetmondServersResolveFunc func;
  gpointer user_data;
} OneShot;

static void
on_one_shot (KlSipTargets *targets, const GError *error, gpointer user_data)
{
  OneShot *shot = user_data;

  shot->func (targets, error, shot->user_data);
  g_free (shot);
}

void
netmond_servers_resolve (NetmondServers *self,
                         const char *host,
                         guint16 port,
                         KlTransport transport,
                         NetmondServersResolveFunc func,
                         gpointer user_data)
{
  g_autofree char *key = key_of (host, port, transport);
  Server *server = g_hash_table_lookup (self->servers, key);
  OneShot *shot;

  if (server != NULL && server->public.targets != NULL) {
    func (server->public.targets, NULL, user_data);
    return;
  }
  if (server != NULL) {
    Waiter waiter = { func, user_data };
    g_array_append_val (server->waiters, waiter);
    if (server->public.state == NETMOND_SERVER_STATE_FAILED)
      resolve_server (server);
    return;
  }
  shot = g_new0 (OneShot, 1);
  shot->func = func;
  shot->user_data = user_data;
  kl_sip_resolve (&self->source, host, port, transport, self->seed, NULL, on_one_shot, shot);
}

void
netmond_servers_retry_now (NetmondServers *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->servers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Server *server = value;
    if (server->public.state == NETMOND_SERVER_STATE_FAILED) {
      server->failures = 0;
      resolve_server (server);
    }
  }
}

static int
compare_servers (gconstpointer a, gconstpointer b)
{
  const Server *x = *(const Server *const *) a;
  const Server *y = *(const Server *const *) b;

  return g_strcmp0 (x->key, y->key);
}

GPtrArray *
netmond_servers_get_all (NetmondServers *self)
{
  GPtrArray *all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->servers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, compare_servers);
  return all;
}

/* Lifetime */

NetmondServers *
netmond_servers_new (KlClock *clock,
                     const KlDnsSource *source,
                     guint32 seed,
                     NetmondServersChangedFunc changed,
                     gpointer user_data)
{
  NetmondServers *self = g_new0 (NetmondServers, 1);

  self->clock = kl_clock_ref (clock);
  self->source = *source;
  self->seed = seed;
  self->changed = changed;
  self->user_data = user_data;
  self->servers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) server_free);
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  return self;
}

void
netmond_servers_free (NetmondServers *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->watched);
  g_hash_table_unref (self->servers);
  kl_clock_unref (self->clock);
  g_free (self);
}
