/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a configured server is: its targets in the order to try them
 * (RFC 3263). netmond answers while it is on the bus, from its cache and its
 * watch of the TTLs; without it sipd resolves by itself, with its own DNS
 * client and no cache. An address needs neither. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"
#include "kl-dns-sip.h"
#include "sipd-line-settings.h"
#include "sipd-netmon.h"

G_BEGIN_DECLS

typedef struct _SipdResolver SipdResolver;
typedef struct _SipdResolverLookup SipdResolverLookup;

/* targets is NULL when the lookup failed; error says why */
typedef void (*SipdResolverFunc) (const KlSipTargets *targets, const char *error, gpointer user_data);

/* dns_server: the nameserver to ask; NULL for those of /etc/resolv.conf.
 * seed: orders SRV targets of one priority for this phone. */
SipdResolver *sipd_resolver_new (KlClock *clock, GInetSocketAddress *dns_server, guint32 seed);
void sipd_resolver_free (SipdResolver *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdResolver, sipd_resolver_free)
/* Where sipd's own lookups get their records instead of its DNS client: a
 * scripted source, for tests. */
void sipd_resolver_set_source (SipdResolver *self, const KlDnsSource *source);
/* netmond's client, or NULL; not owned */
void sipd_resolver_set_netmon (SipdResolver *self, SipdNetmon *netmon);

/* For an address, or from a source with the answer at hand, func runs
 * before this returns NULL; otherwise it runs later, unless
 * sipd_resolver_lookup_cancel() came first. */
SipdResolverLookup *sipd_resolver_lookup (SipdResolver *resolver,
                               const SipdServer *server,
                               KlTransport transport,
                               SipdResolverFunc func,
                               gpointer user_data);
void sipd_resolver_lookup_cancel (SipdResolverLookup *lookup);

G_END_DECLS
