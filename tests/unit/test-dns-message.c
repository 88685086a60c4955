/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DNS message codec (RFC 1035, 2782, 3403, 2308, 6891): queries as sent,
 * answers as a SIP client meets them, and every way an answer can lie about
 * its own lengths. The messages are written out by hand, byte by byte. */
#include <string.h>

#include "kl-dns-message.h"

#define BYTES(array) array, sizeof array

/* 12: "SIP.Example.test", A IN; answers: A 192.0.2.10 TTL 3600, AAAA 2001:db8::10 TTL 300 */
static const guint8 a_aaaa_answer[] = {
  0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, /* QR RD RA, 1 question, 2 answers */
  0x03, 'S', 'I', 'P', 0x07, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  /* 34 */
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x0a,
  /* 50 */
  0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x10,
  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* 12: _sip._udp.example.test SRV IN ("example" at 22); answers: 10 60 5060
 * a.example.test ("a" at 58) and 20 40 5060 b.example.test ("b" at 80), their
 * targets compressed as real servers do; additional: their A records and an
 * OPT record */
static const guint8 srv_answer[] = {
  0x00, 0x02, 0x85, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, /* QR AA RD RA */
  0x04, '_', 's', 'i', 'p', 0x04, '_', 'u', 'd', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
  0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x21, 0x00, 0x01,
  /* 40 */
  0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x0a,
  0x00, 0x0a, 0x00, 0x3c, 0x13, 0xc4, 0x01, 'a', 0xc0, 0x16,
  /* 62 */
  0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x0a,
  0x00, 0x14, 0x00, 0x28, 0x13, 0xc4, 0x01, 'b', 0xc0, 0x16,
  /* 84: a.example.test A 127.0.0.9, b.example.test A 127.0.0.10, OPT 4096 */
  0xc0, 0x3a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0x7f, 0x00, 0x00, 0x09,
  0xc0, 0x50, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0x7f, 0x00, 0x00, 0x0a,
  0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* 12: example.test NAPTR IN; answers, as RFC 3263 §4.1 has them: order 10, 20,
 * 30, preference 50, flags "S", SIP+D2U, SIP+D2T, SIPS+D2T, no regexp */
static const guint8 naptr_answer[] = {
  0x00, 0x03, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
  0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x23, 0x00, 0x01,
  /* rdlength 27: order, preference, "S", "SIP+D2U", "", _sip._udp + pointer */
  0xc0, 0x0c, 0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x1b,
  0x00, 0x0a, 0x00, 0x32, 0x01, 'S', 0x07, 'S', 'I', 'P', '+', 'D', '2', 'U', 0x00,
  0x04, '_', 's', 'i', 'p', 0x04, '_', 'u', 'd', 'p', 0xc0, 0x0c,
  0xc0, 0x0c, 0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x1b,
  0x00, 0x14, 0x00, 0x32, 0x01, 'S', 0x07, 'S', 'I', 'P', '+', 'D', '2', 'T', 0x00,
  0x04, '_', 's', 'i', 'p', 0x04, '_', 't', 'c', 'p', 0xc0, 0x0c,
  /* rdlength 29 */
  0xc0, 0x0c, 0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x1d,
  0x00, 0x1e, 0x00, 0x32, 0x01, 'S', 0x08, 'S', 'I', 'P', 'S', '+', 'D', '2', 'T', 0x00,
  0x05, '_', 's', 'i', 'p', 's', 0x04, '_', 't', 'c', 'p', 0xc0, 0x0c,
};

/* 12: sip.example.test A ("example" at 16); answers: sip CNAME edge.example.test
 * ("edge" at 46), edge CNAME edge1.example.net ("edge1" at 65), edge1 A 198.51.100.7 */
static const guint8 cname_chain_answer[] = {
  0x00, 0x04, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
  0x03, 's', 'i', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  /* 34 */
  0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x07,
  0x04, 'e', 'd', 'g', 'e', 0xc0, 0x10,
  /* 53 */
  0xc0, 0x2e, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x13,
  0x05, 'e', 'd', 'g', 'e', '1', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'n', 'e', 't', 0x00,
  /* 84 */
  0xc0, 0x41, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x07,
};

/* 12: nope.example.test A ("example" at 17); NXDOMAIN; authority: the SOA of
 * example.test, TTL 3600, ns1.example.test hostmaster.example.test 1 7200 3600
 * 604800 300 */
static const guint8 nxdomain_answer[] = {
  0x00, 0x05, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
  0x04, 'n', 'o', 'p', 'e', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  /* 35, rdlength 39 */
  0xc0, 0x11, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x27,
  0x03, 'n', 's', '1', 0xc0, 0x11,
  0x0a, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xc0, 0x11,
  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09, 0x3a, 0x80,
  0x00, 0x00, 0x01, 0x2c,
};

/* 12: sip.example.test A; SERVFAIL, nothing else */
static const guint8 servfail_answer[] = {
  0x00, 0x06, 0x81, 0x82, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x03, 's', 'i', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
};

/* 12: _sip._udp.example.test SRV; TC set, the records left out and the counts 0 */
static const guint8 truncated_answer[] = {
  0x00, 0x07, 0x83, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* QR TC RD RA */
  0x04, '_', 's', 'i', 'p', 0x04, '_', 'u', 'd', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
  0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x21, 0x00, 0x01,
};

/* 12: sip.example.test A; TC set, 3 answers counted but the second cut in its
 * rdata: the datagram ended there */
static const guint8 truncated_mid_record_answer[] = {
  0x00, 0x08, 0x83, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
  0x03, 's', 'i', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00,
};

/* 12: sip.example.test A; answers: A 192.0.2.1 with TTL 0x80000001 (RFC 2181
 * §8: top bit set means 0), A 192.0.2.2 with TTL 0x7fffffff, the largest */
static const guint8 ttl_top_bit_answer[] = {
  0x00, 0x09, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x03, 's', 'i', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x02,
};

/* 12: sip.example.test A ("example" at 16); answers: a TXT record, an A record
 * of class CH, an A record of class IN; authority: NS ns1.example.test;
 * additional: an SRV record, OPT; then four bytes no count accounts for */
static const guint8 skipped_records_answer[] = {
  0x00, 0x0a, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02,
  0x03, 's', 'i', 'p', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0x03, 'a', 'b', 'c',
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0x7f, 0x00, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01,
  0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x06, 0x03, 'n', 's', '1', 0xc0, 0x10,
  0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x08,
  0x00, 0x01, 0x00, 0x01, 0x13, 0xc4, 0xc0, 0x0c,
  0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xde, 0xad, 0xbe, 0xef,
};

/* 12: a question for a name whose labels hold a dot, a NUL and a backslash */
static const guint8 odd_labels_query[] = {
  0x00, 0x0b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x03, 'a', '.', 'B', 0x02, 0x00, 'X', 0x01, '\\', 0x04, 't', 'e', 's', 't', 0x00,
  0x00, 0x01, 0x00, 0x01,
};

static KlDnsMessage *
parse_ok (const guint8 *data, gsize length)
{
  g_autoptr (GError) error = NULL;
  KlDnsMessage *message = kl_dns_message_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static const KlDnsRecord *
record_at (GPtrArray *records, guint index)
{
  g_assert_cmpuint (index, <, records->len);
  return g_ptr_array_index (records, index);
}

static void
assert_address (const KlDnsRecord *record, const char *expected)
{
  g_autofree char *text = NULL;

  g_assert_nonnull (record->address);
  text = g_inet_address_to_string (record->address);
  g_assert_cmpstr (text, ==, expected);
}

static void
assert_malformed (const guint8 *data, gsize length, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KlDnsMessage) message = kl_dns_message_parse (data, length, &error);

  g_assert_null (message);
  g_assert_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_query_round_trip_keeps_id_name_type_and_rd (void)
{
  /* the name as given, RD, one question, an OPT advertising 1232 bytes */
  static const guint8 expected[] = {
    0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x04, '_', 's', 'i', 'p', 0x04, '_', 'u', 'd', 'p', 0x07, 'E', 'x', 'a', 'm', 'p', 'l', 'e',
    0x04, 'T', 'E', 'S', 'T', 0x00, 0x00, 0x21, 0x00, 0x01,
    0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) query = kl_dns_query_new (0xbeef, "_sip._udp.Example.TEST.", KL_DNS_TYPE_SRV, &error);
  g_autoptr (KlDnsMessage) message = NULL;
  gsize length;
  const guint8 *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (query, &length);
  g_assert_cmpmem (data, length, expected, sizeof expected);
  g_assert_true (data[2] & 0x01); /* RD */

  message = parse_ok (data, length);
  g_assert_cmpuint (message->id, ==, 0xbeef);
  g_assert_false (message->response);
  g_assert_false (message->truncated);
  g_assert_cmpstr (message->question_name, ==, "_sip._udp.example.test");
  g_assert_cmpuint (message->question_type, ==, KL_DNS_TYPE_SRV);
  g_assert_cmpuint (message->answers->len, ==, 0);
  g_assert_cmpuint (message->additional->len, ==, 0); /* OPT is skipped */
}

static void
test_query_names_at_the_limits_are_accepted (void)
{
  g_autofree char *label63 = g_strnfill (63, 'a');
  g_autofree char *name253 = g_strdup_printf ("%s.%s.%s.%s", label63, label63, label63, label63 + 2);
  g_autofree char *name253_dot = g_strconcat (name253, ".", NULL);
  const char *names[] = { "a", "a.", label63, name253, name253_dot };

  g_assert_cmpuint (strlen (name253), ==, 253);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) query = kl_dns_query_new (1, names[i], KL_DNS_TYPE_A, &error);
    g_autoptr (KlDnsMessage) message = NULL;

    g_assert_no_error (error);
    message = parse_ok (g_bytes_get_data (query, NULL), g_bytes_get_size (query));
    g_assert_true (g_str_has_prefix (names[i], message->question_name));
  }
}

static void
test_invalid_query_names_are_refused (void)
{
  g_autofree char *label64 = g_strnfill (64, 'a');
  g_autofree char *label63 = g_strnfill (63, 'a');
  g_autofree char *inner64 = g_strconcat ("sip.", label64, ".test", NULL);
  g_autofree char *name254 = g_strdup_printf ("%s.%s.%s.%s", label63, label63, label63, label63 + 1);
  const char *names[] = { "", ".", "..", "a..b", ".a", "a.b..", label64, inner64, name254 };

  g_assert_cmpuint (strlen (name254), ==, 254);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) query = kl_dns_query_new (1, names[i], KL_DNS_TYPE_A, &error);

    g_assert_null (query);
    g_assert_error (error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME);
  }
}

static void
test_a_and_aaaa_answers_parse (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (a_aaaa_answer));
  const KlDnsRecord *a = record_at (message->answers, 0);
  const KlDnsRecord *aaaa = record_at (message->answers, 1);

  g_assert_cmpuint (message->id, ==, 0x1234);
  g_assert_true (message->response);
  g_assert_false (message->truncated);
  g_assert_cmpint (message->rcode, ==, KL_DNS_RCODE_NOERROR);
  g_assert_cmpstr (message->question_name, ==, "sip.example.test");
  g_assert_cmpuint (message->question_type, ==, KL_DNS_TYPE_A);
  g_assert_cmpuint (message->answers->len, ==, 2);
  g_assert_cmpuint (message->authority->len, ==, 0);
  g_assert_cmpuint (message->additional->len, ==, 0);

  g_assert_cmpstr (a->name, ==, "sip.example.test");
  g_assert_cmpint (a->type, ==, KL_DNS_TYPE_A);
  g_assert_cmpuint (a->ttl, ==, 3600);
  assert_address (a, "192.0.2.10");
  g_assert_cmpstr (aaaa->name, ==, "sip.example.test");
  g_assert_cmpint (aaaa->type, ==, KL_DNS_TYPE_AAAA);
  g_assert_cmpuint (aaaa->ttl, ==, 300);
  assert_address (aaaa, "2001:db8::10");
}

static void
test_srv_answer_with_compressed_target_parses (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (srv_answer));
  const KlDnsRecord *first = record_at (message->answers, 0);
  const KlDnsRecord *second = record_at (message->answers, 1);

  g_assert_cmpuint (message->answers->len, ==, 2);
  g_assert_cmpstr (first->name, ==, "_sip._udp.example.test");
  g_assert_cmpint (first->type, ==, KL_DNS_TYPE_SRV);
  g_assert_cmpuint (first->priority, ==, 10);
  g_assert_cmpuint (first->weight, ==, 60);
  g_assert_cmpuint (first->port, ==, 5060);
  g_assert_cmpstr (first->target, ==, "a.example.test");
  g_assert_null (first->address);
  g_assert_cmpuint (second->priority, ==, 20);
  g_assert_cmpuint (second->weight, ==, 40);
  g_assert_cmpuint (second->port, ==, 5060);
  g_assert_cmpstr (second->target, ==, "b.example.test");
}

static void
test_srv_targets_addresses_come_from_the_additional_section (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (srv_answer));

  /* two pointers deep: "a" at 58, then "example.test" at 22; OPT is skipped */
  g_assert_cmpuint (message->additional->len, ==, 2);
  g_assert_cmpstr (record_at (message->additional, 0)->name, ==, "a.example.test");
  assert_address (record_at (message->additional, 0), "127.0.0.9");
  g_assert_cmpstr (record_at (message->additional, 1)->name, ==, "b.example.test");
  assert_address (record_at (message->additional, 1), "127.0.0.10");
}

static void
test_naptr_answer_for_three_transports_parses (void)
{
  static const struct {
    guint16 order;
    const char *service;
    const char *replacement;
  } expected[] = {
    { 10, "sip+d2u", "_sip._udp.example.test" },
    { 20, "sip+d2t", "_sip._tcp.example.test" },
    { 30, "sips+d2t", "_sips._tcp.example.test" },
  };
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (naptr_answer));

  g_assert_cmpuint (message->answers->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    const KlDnsRecord *record = record_at (message->answers, i);

    g_assert_cmpstr (record->name, ==, "example.test");
    g_assert_cmpint (record->type, ==, KL_DNS_TYPE_NAPTR);
    g_assert_cmpuint (record->order, ==, expected[i].order);
    g_assert_cmpuint (record->preference, ==, 50);
    g_assert_cmpstr (record->flags, ==, "s");
    g_assert_cmpstr (record->service, ==, expected[i].service);
    g_assert_cmpstr (record->target, ==, expected[i].replacement);
  }
}

static void
test_cname_chain_keeps_message_order (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (cname_chain_answer));
  const KlDnsRecord *first = record_at (message->answers, 0);
  const KlDnsRecord *second = record_at (message->answers, 1);
  const KlDnsRecord *address = record_at (message->answers, 2);

  g_assert_cmpint (first->type, ==, KL_DNS_TYPE_CNAME);
  g_assert_cmpstr (first->name, ==, "sip.example.test");
  g_assert_cmpstr (first->target, ==, "edge.example.test");
  g_assert_cmpuint (first->ttl, ==, 60);
  g_assert_cmpint (second->type, ==, KL_DNS_TYPE_CNAME);
  g_assert_cmpstr (second->name, ==, "edge.example.test");
  g_assert_cmpstr (second->target, ==, "edge1.example.net");
  g_assert_cmpint (address->type, ==, KL_DNS_TYPE_A);
  g_assert_cmpstr (address->name, ==, "edge1.example.net");
  assert_address (address, "198.51.100.7");
}

static void
test_nxdomain_carries_the_soa_minimum_and_ttl (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (nxdomain_answer));
  const KlDnsRecord *soa = record_at (message->authority, 0);

  g_assert_cmpint (message->rcode, ==, KL_DNS_RCODE_NXDOMAIN);
  g_assert_cmpuint (message->answers->len, ==, 0);
  g_assert_cmpuint (message->authority->len, ==, 1);
  g_assert_cmpint (soa->type, ==, KL_DNS_TYPE_SOA);
  g_assert_cmpstr (soa->name, ==, "example.test");
  g_assert_cmpstr (soa->target, ==, "ns1.example.test");
  g_assert_cmpuint (soa->ttl, ==, 3600);
  g_assert_cmpuint (soa->soa_minimum, ==, 300);
}

static void
test_servfail_has_no_records (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (servfail_answer));

  g_assert_cmpint (message->rcode, ==, KL_DNS_RCODE_SERVFAIL);
  g_assert_cmpstr (message->question_name, ==, "sip.example.test");
  g_assert_cmpuint (message->answers->len, ==, 0);
  g_assert_cmpuint (message->authority->len, ==, 0);
  g_assert_cmpuint (message->additional->len, ==, 0);
}

static void
test_tc_bit_marks_the_answer_truncated (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (truncated_answer));

  g_assert_true (message->truncated);
  g_assert_true (message->response);
  g_assert_cmpuint (message->question_type, ==, KL_DNS_TYPE_SRV);
  g_assert_cmpuint (message->answers->len, ==, 0);
}

static void
test_truncated_answer_cut_inside_a_record_keeps_what_came_before (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (truncated_mid_record_answer));
  guint8 without_tc[sizeof truncated_mid_record_answer];

  g_assert_true (message->truncated);
  g_assert_cmpuint (message->answers->len, ==, 1);
  assert_address (record_at (message->answers, 0), "192.0.2.1");

  /* the same bytes without TC are a lie about the counts */
  memcpy (without_tc, truncated_mid_record_answer, sizeof without_tc);
  without_tc[2] &= ~0x02;
  assert_malformed (BYTES (without_tc), "answer 2: record runs past the end");
}

static void
test_ttl_with_the_top_bit_set_is_zero (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (ttl_top_bit_answer));

  g_assert_cmpuint (record_at (message->answers, 0)->ttl, ==, 0);
  g_assert_cmpuint (record_at (message->answers, 1)->ttl, ==, 0x7fffffff);
}

static void
test_other_types_classes_and_trailing_bytes_are_skipped (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (skipped_records_answer));

  g_assert_cmpuint (message->answers->len, ==, 1);
  assert_address (record_at (message->answers, 0), "192.0.2.1");
  g_assert_cmpuint (message->authority->len, ==, 0);
  g_assert_cmpuint (message->additional->len, ==, 0);
}

static void
test_odd_label_bytes_are_escaped_and_lower_cased (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (odd_labels_query));

  g_assert_false (message->response);
  g_assert_cmpstr (message->question_name, ==, "a\\.b.\\000x.\\\\.test");
}

/* A question for a name of labels of these lengths, each label of 'a' */
static GByteArray *
build_question (const guint8 *label_lengths, gsize n_labels)
{
  static const guint8 header[] = { 0x00, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
  static const guint8 type_class[] = { 0x00, 0x00, 0x01, 0x00, 0x01 }; /* root, A, IN */
  GByteArray *message = g_byte_array_new ();
  guint8 label[256];

  memset (label, 'a', sizeof label);
  g_byte_array_append (message, header, sizeof header);
  for (gsize i = 0; i < n_labels; i++) {
    g_byte_array_append (message, &label_lengths[i], 1);
    g_byte_array_append (message, label, label_lengths[i]);
  }
  g_byte_array_append (message, type_class, sizeof type_class);
  return message;
}

static void
test_name_of_255_bytes_parses (void)
{
  static const guint8 lengths[] = { 63, 63, 63, 61 }; /* 64 + 64 + 64 + 62 + the root = 255 */
  g_autoptr (GByteArray) bytes = build_question (BYTES (lengths));
  g_autoptr (KlDnsMessage) message = parse_ok (bytes->data, bytes->len);

  g_assert_cmpuint (strlen (message->question_name), ==, 253);
}

static void
test_name_over_255_bytes_is_malformed (void)
{
  static const guint8 lengths[] = { 63, 63, 63, 62 };
  g_autoptr (GByteArray) bytes = build_question (BYTES (lengths));

  assert_malformed (bytes->data, bytes->len, "question: name over 255 bytes");
}

static void
test_name_over_255_bytes_through_a_pointer_is_malformed (void)
{
  static const guint8 lengths[] = { 63, 63, 63 };
  static const guint8 pointer[] = { 0xc0, 0x0c };
  static const guint8 rest[] = { 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01 };
  g_autoptr (GByteArray) bytes = build_question (BYTES (lengths));
  g_autofree char *label = g_strnfill (63, 'a');
  guint8 length = 63;

  /* an A record for a 63-byte label and a pointer to the question's 193 bytes */
  bytes->data[7] = 1;
  g_byte_array_append (bytes, &length, 1);
  g_byte_array_append (bytes, (const guint8 *) label, 63);
  g_byte_array_append (bytes, BYTES (pointer));
  g_byte_array_append (bytes, BYTES (rest));
  assert_malformed (bytes->data, bytes->len, "answer 1: name over 255 bytes");
}

/* A TXT record whose rdata is a chain of pointers, each to the one before it and
 * the first to the question's "a" at 12, then an A record named by one more
 * pointer to the last of them: a name of that many pointers */
static GByteArray *
build_pointer_chain (guint length)
{
  static const guint8 question[] = {
    0x00, 0x0e, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x01,
  };
  static const guint8 txt[] = { 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c };
  static const guint8 a[] = { 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01 };
  GByteArray *message = g_byte_array_new ();
  guint8 rdlength[2] = { (2 * (length - 1)) >> 8, (2 * (length - 1)) & 0xff };
  guint previous = 12;

  g_byte_array_append (message, BYTES (question));
  g_byte_array_append (message, BYTES (txt));
  g_byte_array_append (message, BYTES (rdlength));
  for (guint i = 0; i < length; i++) {
    guint8 pointer[2] = { 0xc0 | previous >> 8, previous & 0xff };

    previous = message->len;
    g_byte_array_append (message, BYTES (pointer));
  }
  g_byte_array_append (message, BYTES (a));
  return message;
}

static void
test_name_of_128_pointers_parses_and_of_129_is_malformed (void)
{
  g_autoptr (GByteArray) allowed = build_pointer_chain (128);
  g_autoptr (GByteArray) refused = build_pointer_chain (129);
  g_autoptr (KlDnsMessage) message = parse_ok (allowed->data, allowed->len);

  g_assert_cmpstr (record_at (message->answers, 0)->name, ==, "a");
  assert_malformed (refused->data, refused->len, "answer 2: too many compression pointers");
}

static void
test_label_of_64_bytes_is_malformed (void)
{
  static const guint8 lengths[] = { 64 };
  g_autoptr (GByteArray) bytes = build_question (BYTES (lengths));

  assert_malformed (bytes->data, bytes->len, "question: label over 63 bytes (label type 01)");
}

typedef struct {
  const char *path;
  const guint8 *data;
  gsize length;
  const char *error;
} MalformedCase;

#define HEADER(questions, answers) \
  0x00, 0x0d, 0x81, 0x80, 0x00, (questions), 0x00, (answers), 0x00, 0x00, 0x00, 0x00

static const guint8 short_header[] = { 0x00, 0x0d, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00 };
static const guint8 question_name_cut[] = { HEADER (1, 0), 0x03, 's', 'i', 'p' };
static const guint8 question_type_cut[] = { HEADER (1, 0), 0x03, 's', 'i', 'p', 0x00, 0x00, 0x01 };
static const guint8 two_questions[] = {
  HEADER (2, 0), 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 'b', 0x00, 0x00, 0x01, 0x00, 0x01,
};
/* 12: a pointer to 18, where "foo" is */
static const guint8 pointer_forward[] = {
  HEADER (1, 0), 0xc0, 0x12, 0x00, 0x01, 0x00, 0x01, 0x03, 'f', 'o', 'o', 0x00,
};
static const guint8 pointer_past_the_end[] = { HEADER (1, 0), 0xc0, 0x40, 0x00, 0x01, 0x00, 0x01 };
static const guint8 pointer_to_itself[] = { HEADER (1, 0), 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01 };
static const guint8 pointer_cut[] = { HEADER (1, 0), 0x01, 'a', 0xc0 };
/* 12: "a" and a pointer back to 12 */
static const guint8 pointer_to_own_start[] = { HEADER (1, 0), 0x01, 'a', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01 };
/* 12: "a"; answer 1 at 19 is a TXT record whose rdata at 31 is "x" and a
 * pointer to 37; answer 2's name at 37 is a pointer back to 31 */
static const guint8 pointer_loop[] = {
  HEADER (1, 2), 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x06, 0x01, 'x', 0xc0, 0x25, 0x00, 0x00,
  0xc0, 0x1f, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0x7f, 0x00, 0x00, 0x01,
};
static const guint8 label_type_10[] = { HEADER (1, 0), 0x81, 'a', 0x00, 0x00, 0x01, 0x00, 0x01 };
#define QUESTION 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x01 /* 12: "a" A IN */
static const guint8 a_rdlength_5[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x05,
  0xc0, 0x00, 0x02, 0x01, 0x00,
};
static const guint8 aaaa_rdlength_4[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
  0xc0, 0x00, 0x02, 0x01,
};
/* rdlength 12, the fields 10: 10 60 5060 "b" + pointer, then two bytes too many */
static const guint8 srv_shorter_than_rdlength[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x0c,
  0x00, 0x0a, 0x00, 0x3c, 0x13, 0xc4, 0x01, 'b', 0xc0, 0x0c, 0x00, 0x00,
};
static const guint8 srv_rdlength_4[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
  0x00, 0x0a, 0x00, 0x3c,
};
/* rdlength 3, the target "edge" + pointer 7: it reads into the next record */
static const guint8 cname_longer_than_rdlength[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x03,
  0x04, 'e', 'd', 'g', 'e', 0xc0, 0x0c,
};
/* rdlength 8: order, preference, "S", then a service of 10 bytes */
static const guint8 naptr_string_past_rdata[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x08,
  0x00, 0x0a, 0x00, 0x32, 0x01, 'S', 0x0a, 'S', 'I', 'P', '+', 'D', '2', 'U', 0x00, 0x00, 0x00,
};
/* the SOA's 20 bytes of numbers are 16 */
static const guint8 soa_short[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x14,
  0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
  0x00, 0x00, 0x00, 0x01,
};
static const guint8 two_answers_one_record[] = {
  HEADER (1, 2), QUESTION, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
  0xc0, 0x00, 0x02, 0x01,
};
static const guint8 authority_counted_not_there[] = {
  0x00, 0x0d, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, QUESTION,
};
static const guint8 rdlength_past_the_end[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0, 0x00,
};
/* an unknown type is skipped, but its rdlength must still fit */
static const guint8 skipped_rdlength_past_the_end[] = {
  HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x01, 0x00, 0x00, 0x00,
};
static const guint8 fixed_fields_cut[] = { HEADER (1, 1), QUESTION, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00 };
static const guint8 record_name_cut[] = { HEADER (1, 1), QUESTION, 0x03, 's', 'i' };

static const MalformedCase malformed_cases[] = {
  { "/dns/message/header-shorter-than-12-bytes-is-malformed", BYTES (short_header),
    "message of 8 bytes, shorter than its header" },
  { "/dns/message/question-name-past-the-end-is-malformed", BYTES (question_name_cut),
    "question: name runs past the end" },
  { "/dns/message/question-type-past-the-end-is-malformed", BYTES (question_type_cut),
    "question: type and class run past the end" },
  { "/dns/message/two-questions-are-malformed", BYTES (two_questions), "2 questions, where one is the most" },
  { "/dns/message/compression-pointer-forward-is-malformed", BYTES (pointer_forward),
    "question: compression pointer points forward" },
  { "/dns/message/compression-pointer-past-the-end-is-malformed", BYTES (pointer_past_the_end),
    "question: compression pointer past the end" },
  { "/dns/message/compression-pointer-cut-in-half-is-malformed", BYTES (pointer_cut),
    "question: name runs past the end" },
  { "/dns/message/compression-pointer-to-itself-is-malformed", BYTES (pointer_to_itself),
    "question: compression loop" },
  { "/dns/message/compression-pointer-to-its-own-name-is-malformed", BYTES (pointer_to_own_start),
    "question: compression loop" },
  { "/dns/message/compression-pointer-loop-is-malformed", BYTES (pointer_loop), "answer 2: compression loop" },
  { "/dns/message/label-type-10-is-malformed", BYTES (label_type_10), "question: unknown label type 10" },
  { "/dns/message/a-record-with-rdlength-5-is-malformed", BYTES (a_rdlength_5),
    "answer 1: A record with an rdlength other than 4" },
  { "/dns/message/aaaa-record-with-rdlength-4-is-malformed", BYTES (aaaa_rdlength_4),
    "answer 1: AAAA record with an rdlength other than 16" },
  { "/dns/message/srv-rdata-shorter-than-its-rdlength-is-malformed", BYTES (srv_shorter_than_rdlength),
    "answer 1: rdata does not match its rdlength" },
  { "/dns/message/srv-rdlength-shorter-than-its-fields-is-malformed", BYTES (srv_rdlength_4),
    "answer 1: SRV rdata shorter than its fields" },
  { "/dns/message/cname-target-past-its-rdlength-is-malformed", BYTES (cname_longer_than_rdlength),
    "answer 1: rdata does not match its rdlength" },
  { "/dns/message/naptr-string-past-its-rdata-is-malformed", BYTES (naptr_string_past_rdata),
    "answer 1: character-string runs past its rdata" },
  { "/dns/message/soa-without-its-numbers-is-malformed", BYTES (soa_short),
    "answer 1: SOA rdata shorter than its fields" },
  { "/dns/message/more-answers-counted-than-sent-is-malformed", BYTES (two_answers_one_record),
    "answer 2: record runs past the end" },
  { "/dns/message/authority-counted-but-missing-is-malformed", BYTES (authority_counted_not_there),
    "authority 1: record runs past the end" },
  { "/dns/message/rdlength-past-the-end-is-malformed", BYTES (rdlength_past_the_end),
    "answer 1: record runs past the end" },
  { "/dns/message/skipped-type-with-rdlength-past-the-end-is-malformed", BYTES (skipped_rdlength_past_the_end),
    "answer 1: record runs past the end" },
  { "/dns/message/record-cut-in-its-fixed-fields-is-malformed", BYTES (fixed_fields_cut),
    "answer 1: record runs past the end" },
  { "/dns/message/record-name-past-the-end-is-malformed", BYTES (record_name_cut),
    "answer 1: name runs past the end" },
};

static void
test_malformed (gconstpointer data)
{
  const MalformedCase *c = data;

  assert_malformed (c->data, c->length, c->error);
}

static void
test_every_prefix_of_an_answer_is_refused_cleanly (void)
{
  /* cut anywhere past the header and without TC, an answer no longer adds up */
  for (gsize length = 0; length < sizeof srv_answer; length++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (KlDnsMessage) message = kl_dns_message_parse (srv_answer, length, &error);

    g_assert_null (message);
    g_assert_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED);
  }
}

static void
test_copied_records_are_equal_and_changes_are_not (void)
{
  g_autoptr (KlDnsMessage) message = parse_ok (BYTES (srv_answer));
  g_autoptr (KlDnsMessage) naptr = parse_ok (BYTES (naptr_answer));
  const KlDnsRecord *srv = record_at (message->answers, 0);
  const KlDnsRecord *a = record_at (message->additional, 0);
  g_autoptr (KlDnsRecord) copy = kl_dns_record_copy (srv);
  g_autoptr (KlDnsRecord) a_copy = kl_dns_record_copy (a);
  g_autoptr (KlDnsRecord) naptr_copy = kl_dns_record_copy (record_at (naptr->answers, 0));

  g_assert_true (kl_dns_record_equal (srv, copy));
  g_assert_true (kl_dns_record_equal (a, a_copy));
  g_assert_true (kl_dns_record_equal (record_at (naptr->answers, 0), naptr_copy));
  g_assert_false (kl_dns_record_equal (srv, record_at (message->answers, 1)));
  g_assert_false (kl_dns_record_equal (srv, a));
  g_assert_false (kl_dns_record_equal (srv, NULL));
  g_assert_true (kl_dns_record_equal (NULL, NULL));
  g_assert_null (kl_dns_record_copy (NULL));

  /* names are compared without regard to case */
  g_free (copy->target);
  copy->target = g_strdup ("A.Example.TEST");
  g_assert_true (kl_dns_record_equal (srv, copy));
  copy->port = 5061;
  g_assert_false (kl_dns_record_equal (srv, copy));

  g_clear_object (&a_copy->address);
  g_assert_false (kl_dns_record_equal (a, a_copy));
  a_copy->address = g_inet_address_new_from_string ("127.0.0.10");
  g_assert_false (kl_dns_record_equal (a, a_copy));

  g_free (naptr_copy->service);
  naptr_copy->service = g_strdup ("sip+d2t");
  g_assert_false (kl_dns_record_equal (record_at (naptr->answers, 0), naptr_copy));
}

static void
test_types_and_rcodes_have_names (void)
{
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_A), ==, "A");
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_AAAA), ==, "AAAA");
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_SRV), ==, "SRV");
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_NAPTR), ==, "NAPTR");
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_CNAME), ==, "CNAME");
  g_assert_cmpstr (kl_dns_type_to_string (KL_DNS_TYPE_SOA), ==, "SOA");
  g_assert_cmpstr (kl_dns_type_to_string ((KlDnsType) 16), ==, "other");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_NOERROR), ==, "NOERROR");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_FORMERR), ==, "FORMERR");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_SERVFAIL), ==, "SERVFAIL");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_NXDOMAIN), ==, "NXDOMAIN");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_NOTIMP), ==, "NOTIMP");
  g_assert_cmpstr (kl_dns_rcode_to_string (KL_DNS_RCODE_REFUSED), ==, "REFUSED");
  g_assert_cmpstr (kl_dns_rcode_to_string ((KlDnsRcode) 9), ==, "other");
  kl_dns_message_free (NULL);
  kl_dns_record_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/message/query-round-trip-keeps-id-name-type-and-rd",
                   test_query_round_trip_keeps_id_name_type_and_rd);
  g_test_add_func ("/dns/message/query-names-at-the-limits-are-accepted", test_query_names_at_the_limits_are_accepted);
  g_test_add_func ("/dns/message/invalid-query-names-are-refused", test_invalid_query_names_are_refused);
  g_test_add_func ("/dns/message/a-and-aaaa-answers-parse", test_a_and_aaaa_answers_parse);
  g_test_add_func ("/dns/message/srv-answer-with-compressed-target-parses",
                   test_srv_answer_with_compressed_target_parses);
  g_test_add_func ("/dns/message/srv-targets-addresses-come-from-the-additional-section",
                   test_srv_targets_addresses_come_from_the_additional_section);
  g_test_add_func ("/dns/message/naptr-answer-for-three-transports-parses",
                   test_naptr_answer_for_three_transports_parses);
  g_test_add_func ("/dns/message/cname-chain-keeps-message-order", test_cname_chain_keeps_message_order);
  g_test_add_func ("/dns/message/nxdomain-carries-the-soa-minimum-and-ttl",
                   test_nxdomain_carries_the_soa_minimum_and_ttl);
  g_test_add_func ("/dns/message/servfail-has-no-records", test_servfail_has_no_records);
  g_test_add_func ("/dns/message/tc-bit-marks-the-answer-truncated", test_tc_bit_marks_the_answer_truncated);
  g_test_add_func ("/dns/message/truncated-answer-cut-inside-a-record-keeps-what-came-before",
                   test_truncated_answer_cut_inside_a_record_keeps_what_came_before);
  g_test_add_func ("/dns/message/ttl-with-the-top-bit-set-is-zero", test_ttl_with_the_top_bit_set_is_zero);
  g_test_add_func ("/dns/message/other-types-classes-and-trailing-bytes-are-skipped",
                   test_other_types_classes_and_trailing_bytes_are_skipped);
  g_test_add_func ("/dns/message/odd-label-bytes-are-escaped-and-lower-cased",
                   test_odd_label_bytes_are_escaped_and_lower_cased);
  g_test_add_func ("/dns/message/name-of-255-bytes-parses", test_name_of_255_bytes_parses);
  g_test_add_func ("/dns/message/name-over-255-bytes-is-malformed", test_name_over_255_bytes_is_malformed);
  g_test_add_func ("/dns/message/name-over-255-bytes-through-a-pointer-is-malformed",
                   test_name_over_255_bytes_through_a_pointer_is_malformed);
  g_test_add_func ("/dns/message/label-of-64-bytes-is-malformed", test_label_of_64_bytes_is_malformed);
  g_test_add_func ("/dns/message/name-of-128-pointers-parses-and-of-129-is-malformed",
                   test_name_of_128_pointers_parses_and_of_129_is_malformed);
  for (gsize i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    g_test_add_data_func (malformed_cases[i].path, &malformed_cases[i], test_malformed);
  g_test_add_func ("/dns/message/every-prefix-of-an-answer-is-refused-cleanly",
                   test_every_prefix_of_an_answer_is_refused_cleanly);
  g_test_add_func ("/dns/message/copied-records-are-equal-and-changes-are-not",
                   test_copied_records_are_equal_and_changes_are_not);
  g_test_add_func ("/dns/message/types-and-rcodes-have-names", test_types_and_rcodes_have_names);
  return g_test_run ();
}
