/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DNS cache: answers kept for their TTL, negative answers for the
 * SOA minimum (RFC 2308), both clamped; time is the caller's, in monotonic
 * milliseconds, so tests run it on a fake clock. */
#pragma once

#include "kl-dns-message.h"

G_BEGIN_DECLS

/* No answer is asked again sooner than this, whatever its TTL says. */
#define KL_DNS_CACHE_MIN_TTL_S 5
/* Nor kept longer: a wrong huge TTL must not freeze a phone's servers. */
#define KL_DNS_CACHE_MAX_TTL_S 86400
/* RFC 2308 §5: negative answers for one to three hours at most. */
#define KL_DNS_CACHE_MAX_NEGATIVE_TTL_S 3600
#define KL_DNS_CACHE_MAX_ENTRIES 256

typedef struct _KlDnsCache KlDnsCache;

KlDnsCache *kl_dns_cache_new (void);
void kl_dns_cache_free (KlDnsCache *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlDnsCache, kl_dns_cache_free)

/* Keeps the records of an answer for the smallest of their TTLs, clamped.
 * TTL 0 means "use once, do not keep" (RFC 1035 §3.2.1): what was kept for
 * the name and type is dropped and nothing is kept. */
void kl_dns_cache_put (KlDnsCache *self,
                            const char *name,
                            KlDnsType type,
                            const GPtrArray *records,
                            gint64 now_ms);

/* Keeps a negative answer (KL_DNS_ERROR_NOT_FOUND or _NO_RECORDS) for the
 * smaller of the SOA's TTL and its MINIMUM, clamped; without an SOA it is not
 * kept (RFC 2308 §5), nor is any other error. */
void kl_dns_cache_put_negative (KlDnsCache *self,
                                     const char *name,
                                     KlDnsType type,
                                     const GError *error,
                                     const KlDnsRecord *soa,
                                     gint64 now_ms);

/* TRUE when an entry is fresh: its records (copies, each with the whole
 * seconds left as its TTL) in ret_records, or its negative answer in
 * ret_error. */
gboolean kl_dns_cache_lookup (KlDnsCache *self,
                                   const char *name,
                                   KlDnsType type,
                                   gint64 now_ms,
                                   GPtrArray **ret_records,
                                   GError **ret_error);

/* When the next entry expires, or -1 when nothing is kept. */
gint64 kl_dns_cache_next_expiry_ms (KlDnsCache *self);
/* Drops the expired entries; returns how many. */
guint kl_dns_cache_expire (KlDnsCache *self, gint64 now_ms);
guint kl_dns_cache_get_size (KlDnsCache *self);

G_END_DECLS
