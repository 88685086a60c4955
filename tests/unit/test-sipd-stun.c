/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* STUN Binding (RFC 5389), checked against the test vectors of RFC 5769. */
#include <string.h>

#include "sipd-stun.h"

static const SipdStunTransactionId rfc5769_id = {
  { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae }
};

/* RFC 5769 §2.2 "Sample IPv4 Response", with its XOR-MAPPED-ADDRESS 192.0.2.1:32853;
 * SOFTWARE, MESSAGE-INTEGRITY and FINGERPRINT are skipped by the parser. */
static const guint8 rfc5769_ipv4_response[] = {
  0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
  0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
  0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 §2.3 "Sample IPv6 Response": 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const guint8 rfc5769_ipv6_response[] = {
  0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
  0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
  0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
  0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static void
check_response (const guint8 *data, gsize length, const char *address, guint16 port)
{
  g_autoptr (GError) error = NULL;
  SipdStunTransactionId id;
  g_autoptr (GInetSocketAddress) mapped = sipd_stun_parse_binding_response (data, length, &id, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_true (sipd_stun_is_stun (data, length));
  g_assert_cmpmem (id.id, sizeof id.id, rfc5769_id.id, sizeof rfc5769_id.id);
  text = g_inet_address_to_string (g_inet_socket_address_get_address (mapped));
  g_assert_cmpstr (text, ==, address);
  g_assert_cmpuint (g_inet_socket_address_get_port (mapped), ==, port);
}

static void
test_rfc5769_ipv4_response_decodes (void)
{
  check_response (rfc5769_ipv4_response, sizeof rfc5769_ipv4_response, "192.0.2.1", 32853);
}

static void
test_rfc5769_ipv6_response_decodes (void)
{
  check_response (rfc5769_ipv6_response, sizeof rfc5769_ipv6_response,
                  "2001:db8:1234:5678:11:2233:4455:6677", 32853);
}

static void
test_binding_request_is_a_bare_header (void)
{
  g_autoptr (GBytes) request = sipd_stun_binding_request (&rfc5769_id);
  gsize length;
  const guint8 *data = g_bytes_get_data (request, &length);
  SipdStunTransactionId id;

  g_assert_cmpuint (length, ==, 20);
  g_assert_cmpuint (data[0], ==, 0x00);
  g_assert_cmpuint (data[1], ==, 0x01);
  g_assert_cmpuint (data[2] << 8 | data[3], ==, 0);
  g_assert_cmpmem (data + 4, 4, "\x21\x12\xa4\x42", 4);
  g_assert_true (sipd_stun_parse_binding_request (data, length, &id));
  g_assert_cmpmem (id.id, 12, rfc5769_id.id, 12);
}

static void
test_response_we_build_reads_back (void)
{
  g_autoptr (GInetSocketAddress) mapped = G_INET_SOCKET_ADDRESS (
    g_inet_socket_address_new_from_string ("2001:db8::9", 5060));
  g_autoptr (GBytes) response = sipd_stun_binding_response (&rfc5769_id, mapped);
  gsize length;
  const guint8 *data = g_bytes_get_data (response, &length);

  check_response (data, length, "2001:db8::9", 5060);
}

static void
test_sip_text_is_not_stun (void)
{
  static const char crlf[] = "\r\n\r\n";
  static const char sip[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n";

  g_assert_false (sipd_stun_is_stun ((const guint8 *) crlf, 4));
  g_assert_false (sipd_stun_is_stun ((const guint8 *) sip, sizeof sip - 1));
}

static void
test_truncated_or_lying_responses_are_rejected (void)
{
  guint8 broken[sizeof rfc5769_ipv4_response];
  g_autoptr (GError) error = NULL;
  SipdStunTransactionId id;

  /* cut short: the length field no longer matches */
  g_assert_null (sipd_stun_parse_binding_response (rfc5769_ipv4_response, 40, &id, &error));
  g_assert_error (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_MALFORMED);
  g_clear_error (&error);

  /* an attribute claiming more bytes than there are */
  memcpy (broken, rfc5769_ipv4_response, sizeof broken);
  broken[38] = 0x00;
  broken[39] = 0xff;
  g_assert_null (sipd_stun_parse_binding_response (broken, sizeof broken, &id, &error));
  g_assert_error (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_MALFORMED);
  g_clear_error (&error);

  /* a request is not a response */
  memcpy (broken, rfc5769_ipv4_response, sizeof broken);
  broken[1] = 0x01;
  broken[0] = 0x00;
  g_assert_null (sipd_stun_parse_binding_response (broken, sizeof broken, &id, &error));
  g_assert_error (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_NOT_A_RESPONSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/stun/rfc5769-ipv4-response-decodes", test_rfc5769_ipv4_response_decodes);
  g_test_add_func ("/sipd/stun/rfc5769-ipv6-response-decodes", test_rfc5769_ipv6_response_decodes);
  g_test_add_func ("/sipd/stun/binding-request-is-a-bare-header", test_binding_request_is_a_bare_header);
  g_test_add_func ("/sipd/stun/response-we-build-reads-back", test_response_we_build_reads_back);
  g_test_add_func ("/sipd/stun/sip-text-is-not-stun", test_sip_text_is_not_stun);
  g_test_add_func ("/sipd/stun/truncated-or-lying-responses-are-rejected",
                   test_truncated_or_lying_responses_are_rejected);
  return g_test_run ();
}
