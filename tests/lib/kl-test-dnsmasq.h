/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real dnsmasq for end-to-end tests: an authoritative server for the test
 * zones on one loopback address, every record with the same TTL, A records
 * that can change while it runs, and a query log that says which questions
 * arrived. It never forwards a query: it has no upstream server at all.
 *
 * dnsmasq is authoritative (AA bit, the zone's SOA in the authority section of
 * NXDOMAIN and NODATA answers, SOA minimum = the TTL) only for queries that
 * arrive on an address of an interface, so the helper puts ADDR/32 on lo for
 * as long as the server runs (label "lo:kltest"; kl_test_dnsmasq_free()
 * removes it, and after a crash the next start takes it over). One server per
 * address; run as root.
 *
 * The records, one a line, fields separated by spaces:
 *   ZONE    keepline.test                               a zone it serves; without
 *                                                       any ZONE line, keepline.test
 *   A       sip1.keepline.test 127.0.0.2                (repeat the line for more addresses)
 *   AAAA    sip1.keepline.test ::1
 *   SRV     _sip._udp.keepline.test sip1.keepline.test 5060 10 60
 *                                                       target, port, priority, weight
 *   NAPTR   keepline.test 10 50 s SIP+D2U _sip._udp.keepline.test
 *                                                       order, preference, flags, service,
 *                                                       replacement (the regexp is empty)
 * Every name must lie in a zone. A name with no record gives NXDOMAIN with the
 * SOA; a name with records of other types only (A but no AAAA, an empty
 * non-terminal such as _udp.keepline.test) NODATA with the SOA; a name outside
 * the zones REFUSED. dnsmasq rotates the order of the SRV records of a name
 * from one answer to the next, and puts no A records in the additional
 * section: a client has to ask for the targets. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *addr;
  guint16 port;
  guint ttl_s;
  char *dir;       /* hosts/ (one hosts file per name), dnsmasq.log, stderr */
  char *hosts_dir;
  char *log_path;
  gsize log_start; /* where the test's queries begin, after the helper's own */
  GHashTable *addresses; /* name -> GPtrArray of address strings, A and AAAA */
  gboolean owns_addr;    /* the helper put addr on lo */
  GSubprocess *process;
  int pid;
} KlTestDnsmasq;

KlTestDnsmasq *kl_test_dnsmasq_start (const char *addr, guint16 port, guint ttl_s, const char *const *records);
void kl_test_dnsmasq_free (KlTestDnsmasq *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestDnsmasq, kl_test_dnsmasq_free)

void kl_test_dnsmasq_set_address (KlTestDnsmasq *self, const char *name, const char *address);
guint kl_test_dnsmasq_count_queries (KlTestDnsmasq *self, const char *type, const char *name);
char *kl_test_dnsmasq_server (KlTestDnsmasq *self);

G_END_DECLS
