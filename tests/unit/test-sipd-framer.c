/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stream framing: messages by Content-Length, CRLF keep-alives, and garbage
 * that is skipped instead of stalling the flow. */
#include <string.h>

#include "sipd-framer.h"

static const char options[] =
  "OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n"
  "Via: SIP/2.0/TCP 127.0.0.2;branch=z9hG4bK1\r\n"
  "Content-Length: 5\r\n"
  "\r\n"
  "hello";

static void
push (SipdFramer *framer, const char *text)
{
  sipd_framer_push (framer, (const guint8 *) text, strlen (text));
}

static void
expect_message (SipdFramer *framer, const char *text, gsize length)
{
  g_autoptr (GBytes) message = NULL;
  g_autofree char *reason = NULL;

  g_assert_cmpint (sipd_framer_next (framer, &message, &reason), ==, SIPD_FRAME_MESSAGE);
  g_assert_cmpmem (g_bytes_get_data (message, NULL), g_bytes_get_size (message), text, length);
}

static SipdFrameKind
next_kind (SipdFramer *framer)
{
  g_autoptr (GBytes) message = NULL;
  g_autofree char *reason = NULL;

  return sipd_framer_next (framer, &message, &reason);
}

static void
test_message_arriving_byte_by_byte_is_delivered_once_whole (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  for (gsize i = 0; i < strlen (options) - 1; i++) {
    sipd_framer_push (framer, (const guint8 *) options + i, 1);
    g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_NEED_MORE);
  }
  push (framer, "o");
  expect_message (framer, options, strlen (options));
  g_assert_cmpuint (sipd_framer_get_buffered (framer), ==, 0);
}

static void
test_two_messages_in_one_read_come_out_one_by_one (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, options);
  push (framer, options);
  expect_message (framer, options, strlen (options));
  expect_message (framer, options, strlen (options));
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_NEED_MORE);
}

static void
test_crlf_is_a_pong_and_double_crlf_a_ping (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "\r\n");
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_PONG);
  push (framer, "\r\n\r\n");
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_PING);
  push (framer, "\r");
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_NEED_MORE);
  push (framer, "\n");
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_PONG);
  /* a pong right before a message */
  push (framer, "\r\n");
  push (framer, options);
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_PONG);
  expect_message (framer, options, strlen (options));
}

static void
test_compact_and_spaced_content_length_are_read (void)
{
  static const char compact[] = "MESSAGE sip:a@b SIP/2.0\r\nl :  3 \r\n\r\nabcrest";
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, compact);
  expect_message (framer, compact, strlen (compact) - 4);
  g_assert_cmpuint (sipd_framer_get_buffered (framer), ==, 4);
}

static void
test_missing_content_length_means_no_body (void)
{
  static const char bare[] = "SIP/2.0 200 OK\r\nVia: x\r\n\r\n";
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, bare);
  expect_message (framer, bare, strlen (bare));
}

static void
test_unreadable_content_length_skips_the_headers_and_goes_on (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  g_autoptr (GBytes) message = NULL;
  g_autofree char *reason = NULL;

  push (framer, "SIP/2.0 200 OK\r\nContent-Length: many\r\n\r\n");
  push (framer, options);
  g_assert_cmpint (sipd_framer_next (framer, &message, &reason), ==, SIPD_FRAME_GARBAGE);
  g_assert_cmpstr (reason, ==, "unreadable Content-Length");
  expect_message (framer, options, strlen (options));
}

static void
test_huge_content_length_is_garbage_not_a_wait (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "SIP/2.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n");
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_GARBAGE);
  g_assert_cmpuint (sipd_framer_get_buffered (framer), ==, 0);
}

static void
test_headers_that_never_end_are_dropped_at_the_limit (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  g_autofree char *junk = g_strnfill (SIPD_FRAMER_MAX_MESSAGE, 'x');

  push (framer, junk);
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_GARBAGE);
  g_assert_cmpuint (sipd_framer_get_buffered (framer), ==, 0);
  push (framer, options);
  expect_message (framer, options, strlen (options));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/framer/message-arriving-byte-by-byte-is-delivered-once-whole",
                   test_message_arriving_byte_by_byte_is_delivered_once_whole);
  g_test_add_func ("/sipd/framer/two-messages-in-one-read-come-out-one-by-one",
                   test_two_messages_in_one_read_come_out_one_by_one);
  g_test_add_func ("/sipd/framer/crlf-is-a-pong-and-double-crlf-a-ping",
                   test_crlf_is_a_pong_and_double_crlf_a_ping);
  g_test_add_func ("/sipd/framer/compact-and-spaced-content-length-are-read",
                   test_compact_and_spaced_content_length_are_read);
  g_test_add_func ("/sipd/framer/missing-content-length-means-no-body",
                   test_missing_content_length_means_no_body);
  g_test_add_func ("/sipd/framer/unreadable-content-length-skips-the-headers-and-goes-on",
                   test_unreadable_content_length_skips_the_headers_and_goes_on);
  g_test_add_func ("/sipd/framer/huge-content-length-is-garbage-not-a-wait",
                   test_huge_content_length_is_garbage_not_a_wait);
  g_test_add_func ("/sipd/framer/headers-that-never-end-are-dropped-at-the-limit",
                   test_headers_that_never_end_are_dropped_at_the_limit);
  return g_test_run ();
}
