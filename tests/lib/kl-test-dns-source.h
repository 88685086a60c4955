/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A scripted record source for unit tests of what reads DNS records: answers
 * come from lines in zone-file order, "NAME TTL TYPE DATA":
 *   sip1.test 5 A 127.0.0.2
 *   _sip._tcp.test 5 SRV 10 60 5060 sip1.test      priority weight port target
 *   test 5 NAPTR 10 50 s SIP+D2T _sip._tcp.test    order preference flags service replacement
 * or failures, "NAME TYPE ERROR" with ERROR one of NXDOMAIN, NODATA, SERVFAIL,
 * TIMEOUT, MALFORMED. A name and type with no line is NXDOMAIN. Every lookup
 * is counted; held lookups wait until released. */
#pragma once

#include "kl-dns-source.h"

G_BEGIN_DECLS

typedef struct _KlTestDnsSource KlTestDnsSource;

KlTestDnsSource *kl_test_dns_source_new (void);
void kl_test_dns_source_free (KlTestDnsSource *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestDnsSource, kl_test_dns_source_free)

KlDnsSource kl_test_dns_source_get (KlTestDnsSource *self);
void kl_test_dns_source_add (KlTestDnsSource *self, const char *line);
void kl_test_dns_source_clear (KlTestDnsSource *self);
guint kl_test_dns_source_count (KlTestDnsSource *self, const char *type, const char *name);
guint kl_test_dns_source_total (KlTestDnsSource *self);
void kl_test_dns_source_hold (KlTestDnsSource *self, gboolean hold);
void kl_test_dns_source_release (KlTestDnsSource *self);

G_END_DECLS
