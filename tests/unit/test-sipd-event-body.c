/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NOTIFY bodies: message-summary (RFC 3842) and dialog-info (RFC 4235). */
#include <string.h>

#include "sipd-event-body.h"

static void
test_rfc3842_summary_gives_waiting_and_voice_counts (void)
{
  static const char body[] = "Messages-Waiting: yes\r\n"
                             "Message-Account: sip:alice@vmail.example.com\r\n"
                             "Voice-Message: 2/8 (0/2)\r\n";
  SipdMwiSummary summary;
  g_autofree char *reason = NULL;

  g_assert_true (sipd_mwi_parse (body, strlen (body), &summary, &reason));
  g_assert_true (summary.waiting);
  g_assert_cmpuint (summary.new_messages, ==, 2);
  g_assert_cmpuint (summary.old_messages, ==, 8);
}

static void
test_summary_without_counts_and_in_other_case (void)
{
  static const char body[] = "messages-waiting:NO\n";
  SipdMwiSummary summary = { TRUE, 9, 9 };
  g_autofree char *reason = NULL;

  g_assert_true (sipd_mwi_parse (body, strlen (body), &summary, &reason));
  g_assert_false (summary.waiting);
  g_assert_cmpuint (summary.new_messages, ==, 0);
}

static void
test_summary_without_messages_waiting_is_refused (void)
{
  static const char body[] = "Voice-Message: 1/0\r\n";
  SipdMwiSummary summary;
  g_autofree char *reason = NULL;

  g_assert_false (sipd_mwi_parse (body, strlen (body), &summary, &reason));
  g_assert_cmpstr (reason, ==, "no Messages-Waiting line");
}

static const char confirmed[] =
  "<?xml version=\"1.0\"?>\n"
  "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"1\" state=\"full\" "
  "entity=\"sip:1002@example.com\">\n"
  "  <dialog id=\"a\"><state>terminated</state></dialog>\n"
  "  <dialog id=\"b\" direction=\"recipient\"><state>confirmed</state></dialog>\n"
  "</dialog-info>\n";

static void
test_dialog_info_any_confirmed_dialog_is_busy (void)
{
  g_autofree char *reason = NULL;

  g_assert_cmpstr (sipd_blf_parse (confirmed, strlen (confirmed), &reason), ==, "confirmed");
}

static void
test_dialog_info_early_dialog_is_ringing_and_none_is_idle (void)
{
  static const char early[] = "<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='2' state='full' "
                              "entity='sip:1002@x'><dialog id='c'><state>early</state></dialog></dialog-info>";
  static const char empty[] = "<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='3' state='full' "
                              "entity='sip:1002@x'/>";
  g_autofree char *reason = NULL;

  g_assert_cmpstr (sipd_blf_parse (early, strlen (early), &reason), ==, "early");
  g_assert_cmpstr (sipd_blf_parse (empty, strlen (empty), &reason), ==, "idle");
}

static void
test_dialog_info_with_a_namespace_prefix_is_read (void)
{
  static const char prefixed[] = "<d:dialog-info xmlns:d='urn:ietf:params:xml:ns:dialog-info'>"
                                 "<d:dialog id='x'><d:state>confirmed</d:state></d:dialog></d:dialog-info>";
  g_autofree char *reason = NULL;

  g_assert_cmpstr (sipd_blf_parse (prefixed, strlen (prefixed), &reason), ==, "confirmed");
}

static void
test_broken_dialog_info_is_refused_with_a_reason (void)
{
  static const char broken[] = "<dialog-info><dialog><state>confirmed</dialog>";
  static const char other[] = "<presence/>";
  g_autofree char *reason = NULL;
  g_autofree char *other_reason = NULL;

  g_assert_null (sipd_blf_parse (broken, strlen (broken), &reason));
  g_assert_nonnull (reason);
  g_assert_null (sipd_blf_parse (other, strlen (other), &other_reason));
  g_assert_cmpstr (other_reason, ==, "no dialog-info element");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/mwi/rfc3842-summary-gives-waiting-and-voice-counts",
                   test_rfc3842_summary_gives_waiting_and_voice_counts);
  g_test_add_func ("/sipd/mwi/summary-without-counts-and-in-other-case",
                   test_summary_without_counts_and_in_other_case);
  g_test_add_func ("/sipd/mwi/summary-without-messages-waiting-is-refused",
                   test_summary_without_messages_waiting_is_refused);
  g_test_add_func ("/sipd/blf/any-confirmed-dialog-is-busy", test_dialog_info_any_confirmed_dialog_is_busy);
  g_test_add_func ("/sipd/blf/early-dialog-is-ringing-and-none-is-idle",
                   test_dialog_info_early_dialog_is_ringing_and_none_is_idle);
  g_test_add_func ("/sipd/blf/dialog-info-with-a-namespace-prefix-is-read",
                   test_dialog_info_with_a_namespace_prefix_is_read);
  g_test_add_func ("/sipd/blf/broken-dialog-info-is-refused-with-a-reason",
                   test_broken_dialog_info_is_refused_with_a_reason);
  return g_test_run ();
}
