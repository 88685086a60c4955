/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Locating a SIP server (RFC 3263) as the phone is configured: an address is
 * used as it is; a name with a port is looked up as A and AAAA; a name with
 * port 0 goes NAPTR (the record for the configured transport), then SRV
 * (_sip._udp, _sip._tcp or _sips._tcp when there is no NAPTR), then A and
 * AAAA of each SRV target, or of the name itself when there is no SRV. SRV
 * priority orders the targets; within a priority, weight does, by the RFC 2782
 * lottery drawn with a seed, so that one phone always draws the same order
 * for the same records while a fleet of phones spreads as the weights say. */
#pragma once

#include "kl-dns-source.h"
#include "kl-transport.h"

G_BEGIN_DECLS

typedef struct {
  char *host; /* the name the address belongs to: the SRV target, or the server's name */
  GInetAddress *address;
  guint16 port;
  guint16 priority; /* SRV; 0 without */
  guint16 weight;   /* SRV; 0 without */
} KlSipTarget;

typedef struct {
  GPtrArray *targets; /* of KlSipTarget, in the order to try them, addresses of a host IPv4 first */
  guint32 ttl_s;      /* the smallest TTL of the records they come from; G_MAXUINT32 for an address */
  char *path;         /* how they were found: "NAPTR SIP+D2T, SRV _sip._tcp.example.com, A" */
  /* Why a lookup on the way had no usable answer (a timeout, SERVFAIL, a
   * broken answer), so that targets may be missing; NULL when all answered.
   * left_out: the SRV targets without an address for that reason, or NULL. */
  char *incomplete;
  GStrv left_out;
} KlSipTargets;

/* targets NULL when error is set; error G_IO_ERROR_CANCELLED once
 * cancellable is cancelled. Called exactly once, perhaps before
 * kl_sip_resolve() returns. */
typedef void (*KlSipResolveFunc) (KlSipTargets *targets, const GError *error, gpointer user_data);

void kl_sip_resolve (const KlDnsSource *source,
                     const char *host,
                     guint16 port,
                     KlTransport transport,
                     guint32 seed,
                     GCancellable *cancellable,
                     KlSipResolveFunc func,
                     gpointer user_data);

KlSipTargets *kl_sip_targets_new (guint32 ttl_s, const char *path);
void kl_sip_targets_add (KlSipTargets *targets,
                         const char *host,
                         GInetAddress *address,
                         guint16 port,
                         guint16 priority,
                         guint16 weight);
KlSipTargets *kl_sip_targets_for_address (const char *host,
                                          GInetAddress *address,
                                          guint16 port,
                                          KlTransport transport);
KlSipTargets *kl_sip_targets_copy (const KlSipTargets *targets);
void kl_sip_targets_free (KlSipTargets *targets);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlSipTargets, kl_sip_targets_free)
/* Adds to an answer the targets of the hosts it left out (left_out), as an
 * earlier answer had them, each after the targets of its SRV priority: a
 * lost answer does not make a server the phone knew disappear. */
void kl_sip_targets_fill_in (KlSipTargets *targets, const KlSipTargets *earlier);
/* "127.0.0.2:5060, [::1]:5060" */
char *kl_sip_targets_to_string (const KlSipTargets *targets);
/* The same addresses and ports in the same order. */
gboolean kl_sip_targets_equal (const KlSipTargets *a, const KlSipTargets *b);

/* Orders SRV records (of KlDnsRecord) as RFC 2782 says, with the seed for
 * the weighted draw: the same records in any order give the same result. */
void kl_sip_order_srv (GPtrArray *records, guint32 seed);


G_END_DECLS
