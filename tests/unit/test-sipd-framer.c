/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stream framing: messages by Content-Length, CRLF keep-alives, and a stream
 * that cannot be framed (Content-Length missing, doubled or unreadable, no
 * end of headers, more waiting than the cap) as an error for good. */
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
expect_error (SipdFramer *framer, const char *reason)
{
  g_autoptr (GBytes) message = NULL;
  g_autofree char *got = NULL;
  g_autofree char *again = NULL;

  g_assert_cmpint (sipd_framer_next (framer, &message, &got), ==, SIPD_FRAME_ERROR);
  g_assert_cmpstr (got, ==, reason);
  /* for good: where the next message starts is not known */
  push (framer, options);
  g_assert_cmpint (sipd_framer_next (framer, &message, &again), ==, SIPD_FRAME_ERROR);
}

static void
test_missing_content_length_is_an_error (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "SIP/2.0 200 OK\r\nVia: x\r\n\r\n");
  expect_error (framer, "a message without Content-Length on a stream (RFC 3261 §18.3)");
}

static void
test_content_length_twice_is_an_error (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "SIP/2.0 200 OK\r\nContent-Length: 0\r\nl: 5\r\n\r\nhello");
  expect_error (framer, "Content-Length twice");
}

static void
test_unreadable_content_length_is_an_error (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "SIP/2.0 200 OK\r\nContent-Length: many\r\n\r\n");
  expect_error (framer, "unreadable Content-Length");
}

static void
test_huge_content_length_is_an_error_not_a_wait (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();

  push (framer, "SIP/2.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n");
  expect_error (framer, "unreadable Content-Length");
}

static void
test_headers_that_never_end_are_an_error_at_the_limit (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  g_autofree char *junk = g_strnfill (SIPD_FRAMER_MAX_MESSAGE, 'x');

  push (framer, junk);
  expect_error (framer, "no end of headers in 65536 bytes");
}

static void
test_more_than_the_cap_waiting_is_refused (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  g_autofree char *half = g_strnfill (SIPD_FRAMER_MAX_BUFFERED / 2, 'x');

  g_assert_true (sipd_framer_push (framer, (const guint8 *) half, strlen (half)));
  g_assert_true (sipd_framer_push (framer, (const guint8 *) half, strlen (half)));
  g_assert_false (sipd_framer_push (framer, (const guint8 *) "x", 1));
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_ERROR);
}

static void
test_many_messages_in_one_buffer_come_out_in_order (void)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  g_autoptr (GString) many = g_string_new (NULL);

  for (guint i = 0; i < 100; i++)
    g_string_append (many, options);
  push (framer, many->str);
  for (guint i = 0; i < 100; i++)
    expect_message (framer, options, strlen (options));
  g_assert_cmpint (next_kind (framer), ==, SIPD_FRAME_NEED_MORE);
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
  g_test_add_func ("/sipd/framer/missing-content-length-is-an-error", test_missing_content_length_is_an_error);
  g_test_add_func ("/sipd/framer/content-length-twice-is-an-error", test_content_length_twice_is_an_error);
  g_test_add_func ("/sipd/framer/unreadable-content-length-is-an-error",
                   test_unreadable_content_length_is_an_error);
  g_test_add_func ("/sipd/framer/huge-content-length-is-an-error-not-a-wait",
                   test_huge_content_length_is_an_error_not_a_wait);
  g_test_add_func ("/sipd/framer/headers-that-never-end-are-an-error-at-the-limit",
                   test_headers_that_never_end_are_an_error_at_the_limit);
  g_test_add_func ("/sipd/framer/more-than-the-cap-waiting-is-refused", test_more_than_the_cap_waiting_is_refused);
  g_test_add_func ("/sipd/framer/many-messages-in-one-buffer-come-out-in-order",
                   test_many_messages_in_one_buffer_come_out_in_order);
  return g_test_run ();
}
