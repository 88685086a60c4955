/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text from the network reaches D-Bus as valid UTF-8 (reason phrases, header
 * values, URIs), a URI the network gave goes out escaped, and a display name
 * goes out as a quoted-string that a quote or backslash in it cannot break. */
#include <string.h>

#include "sipd-message.h"

static void
test_network_text_comes_out_as_valid_utf8 (void)
{
  static const char text[] = "SIP/2.0 486 Busy \xff\xfe Here\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKa\r\n"
                             "From: \"Caller \xc3\x28\" <sip:2000@keepline.test>;tag=a\r\n"
                             "To: <sip:1001@keepline.test>;tag=b\r\n"
                             "Call-ID: c\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Content-Length: 0\r\n\r\n";
  g_autoptr (SipdMessage) message = sipd_message_parse ((const guint8 *) text, sizeof text - 1, NULL);
  g_autofree char *from = NULL;

  g_assert_nonnull (message);
  g_assert_true (g_utf8_validate (sipd_message_get_reason (message), -1, NULL));
  g_assert_true (g_str_has_prefix (sipd_message_get_reason (message), "Busy "));
  from = sipd_message_print_header (message, sipd_message_get_sip (message)->sip_from);
  g_assert_true (g_utf8_validate (from, -1, NULL));
  g_assert_nonnull (strstr (from, "sip:2000@keepline.test"));
}

/* A Contact whose URI holds a space and a bracket (a server's bug, or the
 * fuzzer's find) becomes a target the phone's own next request can carry:
 * the request line parses again. */
static void
test_a_uri_goes_out_escaped (void)
{
  static const char text[] = "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKa\r\n"
                             "From: <sip:1001@keepline.test>;tag=a\r\n"
                             "To: <sip:1002@keepline.test>;tag=b\r\n"
                             "Call-ID: c\r\n"
                             "CSeq: 1 SUBSCRIBE\r\n"
                             "Contact: <sip:1001@127A0.0.1;obz9;+sip.in4f61t: <sip:1001@127.0.0.1;ob>;e=1\r\n"
                             "Content-Length: 0\r\n\r\n";
  g_autoptr (SipdMessage) message = sipd_message_parse ((const guint8 *) text, sizeof text - 1, NULL);
  g_autofree char *target = NULL;
  g_autofree char *request = NULL;
  g_autoptr (SipdMessage) again = NULL;

  g_assert_nonnull (message);
  g_assert_nonnull (sipd_message_get_sip (message)->sip_contact);
  target = sipd_message_print_uri (message, sipd_message_get_sip (message)->sip_contact->m_url);
  g_test_message ("target: %s", target);
  g_assert_null (strpbrk (target, " <>\"\x7f"));
  g_assert_nonnull (strstr (target, "%20"));
  g_assert_nonnull (strstr (target, "%3C"));
  request = g_strdup_printf ("SUBSCRIBE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKb\r\n"
                             "From: <sip:1001@keepline.test>;tag=a\r\nTo: <sip:1002@keepline.test>;tag=b\r\n"
                             "Call-ID: c\r\nCSeq: 2 SUBSCRIBE\r\nContent-Length: 0\r\n\r\n", target);
  again = sipd_message_parse ((const guint8 *) request, strlen (request), NULL);
  g_assert_nonnull (again);
  g_assert_true (sipd_message_is_target (target));
}

/* Only a sip: or sips: URI with a host becomes a target: fuzz-responses
 * found Contacts of other schemes going out as a SUBSCRIBE's request line. */
static void
test_only_a_sip_uri_is_a_target (void)
{
  static const char *const contacts[] = { "<tel:+1555>", "<snce=%22%3Cu:x>", "<mailto:a@b>",
                                          "<sip:1tact: <sip:1001@127.0.0.1;ob>" };

  for (guint i = 0; i < G_N_ELEMENTS (contacts); i++) {
    g_autofree char *text = g_strdup_printf ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKa\r\n"
                                             "From: <sip:1001@keepline.test>;tag=a\r\nTo: <sip:1002@keepline.test>;tag=b\r\n"
                                             "Call-ID: c\r\nCSeq: 1 SUBSCRIBE\r\nContact: %s\r\n"
                                             "Content-Length: 0\r\n\r\n", contacts[i]);
    g_autoptr (SipdMessage) message = sipd_message_parse ((const guint8 *) text, strlen (text), NULL);
    const sip_contact_t *contact;
    g_autofree char *target = NULL;

    g_assert_nonnull (message);
    contact = sipd_message_get_sip (message)->sip_contact;
    if (contact != NULL)
      target = sipd_message_print_uri (message, contact->m_url);
    g_assert_false (target != NULL && sipd_message_is_target (target));
  }
}

static void
test_display_names_are_quoted (void)
{
  g_autofree char *plain = sipd_quote ("Front Desk");
  g_autofree char *tricky = sipd_quote ("Say \"hi\" \\ bye\r\n");

  g_assert_cmpstr (plain, ==, "\"Front Desk\"");
  g_assert_cmpstr (tricky, ==, "\"Say \\\"hi\\\" \\\\ bye\"");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/message/network-text-comes-out-as-valid-utf8", test_network_text_comes_out_as_valid_utf8);
  g_test_add_func ("/sipd/message/display-names-are-quoted", test_display_names_are_quoted);
  g_test_add_func ("/sipd/message/a-uri-goes-out-escaped", test_a_uri_goes_out_escaped);
  g_test_add_func ("/sipd/message/only-a-sip-uri-is-a-target", test_only_a_sip_uri_is_a_target);
  return g_test_run ();
}
