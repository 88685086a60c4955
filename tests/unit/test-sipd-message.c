/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text from the network reaches D-Bus as valid UTF-8 (reason phrases, header
 * values, URIs), and a display name goes out as a quoted-string that a quote
 * or backslash in it cannot break. */
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
  return g_test_run ();
}
