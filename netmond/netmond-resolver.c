/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-resolver"

#include "netmond-resolver.h"

struct _NetmondResolver {
  KlClock *clock;
  KlDnsClient *client;
  KlDnsCache *cache;
  guint64 cache_hits;
};

typedef struct {
  NetmondResolver *resolver;
  char *name;
  KlDnsType type;
  KlDnsLookupFunc func;
  gpointer user_data;
} Lookup;

static void
on_answer (const GPtrArray *records, const KlDnsRecord *soa, const GError *error, gpointer user_data)
{
  Lookup *lookup = user_data;
  NetmondResolver *self = lookup->resolver;
  gint64 now_ms = kl_clock_now_ms (self->clock);

  if (records != NULL)
    kl_dns_cache_put (self->cache, lookup->name, lookup->type, records, now_ms);
  else
    kl_dns_cache_put_negative (self->cache, lookup->name, lookup->type, error, soa, now_ms);
  lookup->func (records, soa, error, lookup->user_data);
  g_free (lookup->name);
  g_free (lookup);
}

static void
source_lookup (gpointer user_data,
               const char *name,
               KlDnsType type,
               GCancellable *cancellable,
               KlDnsLookupFunc func,
               gpointer func_data)
{
  NetmondResolver *self = user_data;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  Lookup *lookup;

  if (kl_dns_cache_lookup (self->cache, name, type, kl_clock_now_ms (self->clock), &records, &error)) {
    self->cache_hits++;
    func (records, NULL, error, func_data);
    return;
  }
  lookup = g_new0 (Lookup, 1);
  lookup->resolver = self;
  lookup->name = g_strdup (name);
  lookup->type = type;
  lookup->func = func;
  lookup->user_data = func_data;
  kl_dns_client_lookup (self->client, name, type, cancellable, on_answer, lookup);
}

KlDnsSource
netmond_resolver_get_source (NetmondResolver *self)
{
  return (KlDnsSource) { source_lookup, self };
}

KlDnsCache *
netmond_resolver_get_cache (NetmondResolver *self)
{
  return self->cache;
}

KlDnsClient *
netmond_resolver_get_client (NetmondResolver *self)
{
  return self->client;
}

guint64
netmond_resolver_get_cache_hits (NetmondResolver *self)
{
  return self->cache_hits;
}

NetmondResolver *
netmond_resolver_new (KlClock *clock, KlDnsClient *client)
{
  NetmondResolver *self = g_new0 (NetmondResolver, 1);

  self->clock = kl_clock_ref (clock);
  self->client = client;
  self->cache = kl_dns_cache_new ();
  return self;
}

void
netmond_resolver_free (NetmondResolver *self)
{
  if (self == NULL)
    return;
  kl_dns_client_free (self->client); /* its last answers still go through the cache */
  kl_dns_cache_free (self->cache);
  kl_clock_unref (self->clock);
  g_free (self);
}
