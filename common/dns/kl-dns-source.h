/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the RFC 3263 procedure gets its records from: the DNS client directly
 * (sipd without netmond) or netmond's TTL cache in front of it. */
#pragma once

#include "kl-dns-message.h"

G_BEGIN_DECLS

/* records: those of the type asked for, the CNAMEs on the way followed, with
 * the TTL left; NULL when error is set. A negative answer (NOT_FOUND or
 * NO_RECORDS) brings the zone's SOA from the authority section if the server
 * sent one, for negative caching. Called exactly once: once cancellable is
 * cancelled, soon and with G_IO_ERROR_CANCELLED. */
typedef void (*KlDnsLookupFunc) (const GPtrArray *records,
                                 const KlDnsRecord *soa,
                                 const GError *error,
                                 gpointer user_data);

typedef struct {
  /* may call func before it returns, when the answer is at hand */
  void (*lookup) (gpointer self,
                  const char *name,
                  KlDnsType type,
                  GCancellable *cancellable,
                  KlDnsLookupFunc func,
                  gpointer user_data);
  gpointer self;
} KlDnsSource;

G_END_DECLS
