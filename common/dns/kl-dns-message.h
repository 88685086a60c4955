/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DNS messages on the wire (RFC 1035): a query for one name and type, and the
 * parse of an answer into the records a SIP client needs (RFC 3263: NAPTR,
 * SRV, A, AAAA, with CNAME and the SOA of a negative answer). The parser
 * trusts nothing: every length, count and compression pointer is checked, and
 * a message that does not add up is refused with KL_DNS_ERROR_MALFORMED. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  KL_DNS_TYPE_A = 1,
  KL_DNS_TYPE_CNAME = 5,
  KL_DNS_TYPE_SOA = 6,
  KL_DNS_TYPE_AAAA = 28,
  KL_DNS_TYPE_SRV = 33,
  KL_DNS_TYPE_NAPTR = 35,
} KlDnsType;

typedef enum {
  KL_DNS_RCODE_NOERROR = 0,
  KL_DNS_RCODE_FORMERR = 1,
  KL_DNS_RCODE_SERVFAIL = 2,
  KL_DNS_RCODE_NXDOMAIN = 3,
  KL_DNS_RCODE_NOTIMP = 4,
  KL_DNS_RCODE_REFUSED = 5,
} KlDnsRcode;

/* What can go wrong with a DNS query, as the resolver reports it; the parser
 * itself only ever says MALFORMED. */
typedef enum {
  KL_DNS_ERROR_MALFORMED,      /* the answer does not parse, or does not answer the question */
  KL_DNS_ERROR_TRUNCATED,      /* cut short (TC) over UDP, and TCP did not give the whole answer */
  KL_DNS_ERROR_SERVER_FAILURE, /* SERVFAIL, REFUSED, NOTIMP or FORMERR */
  KL_DNS_ERROR_NOT_FOUND,      /* NXDOMAIN: the name does not exist */
  KL_DNS_ERROR_NO_RECORDS,     /* the name exists, but not with records of this type */
  KL_DNS_ERROR_TIMEOUT,        /* no answer */
  KL_DNS_ERROR_NETWORK,        /* no route, no nameserver, a socket error */
  KL_DNS_ERROR_INVALID_NAME,   /* not a name we can ask for */
} KlDnsError;

#define KL_DNS_ERROR (kl_dns_error_quark ())
GQuark kl_dns_error_quark (void);

/* One resource record. Names are in lower case, without the final dot. Only
 * the fields of the record's type are set. */
typedef struct {
  char *name;
  KlDnsType type;
  guint32 ttl;
  GInetAddress *address; /* A, AAAA */
  guint16 priority;      /* SRV */
  guint16 weight;        /* SRV */
  guint16 port;          /* SRV */
  guint16 order;         /* NAPTR */
  guint16 preference;    /* NAPTR */
  char *flags;           /* NAPTR, lower case */
  char *service;         /* NAPTR, lower case: "sip+d2u", "sips+d2t", … */
  char *target;          /* SRV target, CNAME target, NAPTR replacement ("" for "."), SOA primary */
  guint32 soa_minimum;   /* SOA: the negative-caching TTL, with ttl (RFC 2308 §5) */
} KlDnsRecord;

void kl_dns_record_free (KlDnsRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlDnsRecord, kl_dns_record_free)
KlDnsRecord *kl_dns_record_copy (const KlDnsRecord *record);
gboolean kl_dns_record_equal (const KlDnsRecord *a, const KlDnsRecord *b);

typedef struct {
  guint16 id;
  gboolean response;   /* QR */
  gboolean truncated;  /* TC: ask again over TCP */
  KlDnsRcode rcode;
  char *question_name; /* NULL when the message has no question */
  guint16 question_type;
  GPtrArray *answers;   /* of KlDnsRecord, in the order of the message; other types skipped */
  GPtrArray *authority; /* of KlDnsRecord: the SOA records only */
  GPtrArray *additional; /* of KlDnsRecord: A and AAAA only (SRV targets' addresses) */
} KlDnsMessage;

void kl_dns_message_free (KlDnsMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlDnsMessage, kl_dns_message_free)

/* A standard query with RD set for one name (with or without the final dot) and
 * one type, class IN; NULL with KL_DNS_ERROR_INVALID_NAME for a name that is
 * empty, has an empty label, a label over 63 bytes or is over 253 bytes. */
GBytes *kl_dns_query_new (guint16 id, const char *name, KlDnsType type, GError **error);

/* The whole message, or NULL with KL_DNS_ERROR_MALFORMED saying what is wrong
 * ("answer 2: record runs past the end", "compression loop", …). */
KlDnsMessage *kl_dns_message_parse (const guint8 *data, gsize length, GError **error);

const char *kl_dns_type_to_string (KlDnsType type);
const char *kl_dns_rcode_to_string (KlDnsRcode rcode);

G_END_DECLS
