/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stub resolver: one query at a time per lookup, to the configured
 * nameserver or to those of /etc/resolv.conf (read again when the file
 * changes). Each query has its own UDP socket, so its own random source port,
 * and a random ID (RFC 5452); an answer cut short (TC) is asked again over TCP.
 * Two tries per nameserver, KL_DNS_CLIENT_TRY_MS each, then the next one. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"
#include "kl-config.h"
#include "kl-dns-source.h"

G_BEGIN_DECLS

#define KL_DNS_CLIENT_TRY_MS 2000
#define KL_DNS_CLIENT_TRIES 2
#define KL_DNS_CLIENT_MAX_SERVERS 3

typedef struct _KlDnsClient KlDnsClient;

/* message: the answer, whatever its RCODE; NULL when error is set (TIMEOUT,
 * NETWORK, MALFORMED or TRUNCATED). */
typedef void (*KlDnsQueryFunc) (KlDnsMessage *message, const GError *error, gpointer user_data);

/* server: the nameserver to ask; NULL for those of resolv_conf (NULL:
 * /etc/resolv.conf). */
KlDnsClient *kl_dns_client_new (KlClock *clock, GInetSocketAddress *server, const char *resolv_conf);
void kl_dns_client_free (KlDnsClient *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlDnsClient, kl_dns_client_free)

/* of GInetSocketAddress: the nameservers a resolv.conf text names */
GPtrArray *kl_dns_parse_resolv_conf (const char *text);

void kl_dns_client_query (KlDnsClient *self,
                          const char *name,
                          KlDnsType type,
                          GCancellable *cancellable,
                          KlDnsQueryFunc func,
                          gpointer user_data);

/* A query whose answer is turned into records or a KL_DNS_ERROR: the source
 * that kl_dns_client_get_source() gives. */
void kl_dns_client_lookup (KlDnsClient *self,
                           const char *name,
                           KlDnsType type,
                           GCancellable *cancellable,
                           KlDnsLookupFunc func,
                           gpointer user_data);
KlDnsSource kl_dns_client_get_source (KlDnsClient *self);

/* The records an answer gives for name and type, CNAMEs followed; or the
 * error its RCODE or its lack of records means, with the SOA if it has one. */
GPtrArray *kl_dns_answer_records (KlDnsMessage *message,
                                  const char *name,
                                  KlDnsType type,
                                  KlDnsRecord **ret_soa,
                                  GError **error);

guint64 kl_dns_client_get_queries_sent (KlDnsClient *self);

/* The nameserver of "sip dns server" (port 53 unless given) in ret_server, or
 * NULL there when the key is not set: /etc/resolv.conf's then. FALSE with
 * KL_CONFIG_ERROR_INVALID when the key holds a name, not an address. */
gboolean kl_dns_server_from_config (KlConfig *config, GInetSocketAddress **ret_server, GError **error);

G_END_DECLS
