/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DNS cache in front of the DNS client: a lookup answered from the cache
 * while its entry is fresh, else asked and kept for its TTL. The result is
 * the record source that the RFC 3263 procedure reads. */
#pragma once

#include "kl-clock.h"
#include "kl-dns-client.h"
#include "kl-dns-cache.h"

G_BEGIN_DECLS

typedef struct _NetmondResolver NetmondResolver;

/* Takes the client. */
NetmondResolver *netmond_resolver_new (KlClock *clock, KlDnsClient *client);
void netmond_resolver_free (NetmondResolver *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondResolver, netmond_resolver_free)

KlDnsSource netmond_resolver_get_source (NetmondResolver *self);
KlDnsCache *netmond_resolver_get_cache (NetmondResolver *self);
KlDnsClient *netmond_resolver_get_client (NetmondResolver *self);
guint64 netmond_resolver_get_cache_hits (NetmondResolver *self);

G_END_DECLS
