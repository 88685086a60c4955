/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for everything sipd reads from the network: the bytes as a
 * UDP datagram through a real flow and stack (STUN, SIP parsing, transactions,
 * the answers to inbound requests), as a TCP/TLS byte stream through the framer,
 * in chunks of sizes the input itself chooses, as NOTIFY bodies, as the
 * INVITE or the answer that makes a dialog, and as an SDP from the far end
 * (digest challenges and the answers to the phone's own requests have targets
 * of their own: fuzz-digest, fuzz-responses). Whatever arrives is answered or dropped; nothing
 * crashes, leaks or stalls. */
#include <string.h>

#include "fuzz-quiet.h"
#include "sipd-call-input.h"
#include "sipd-dialog.h"
#include "sipd-event-body.h"
#include "sipd-framer.h"
#include "sipd-inbound.h"
#include "sipd-stack.h"
#include "sipd-stun.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static KlClock *fake_clock;
static SipdStack *stack;
static SipdInbound *inbound;
static SipdFlow *flow;
static GSocket *sink; /* where the answers go: a bound socket nobody reads */

static guint
find_line (const char *user, gpointer user_data)
{
  return g_str_equal (user, "1001") ? 1 : 0;
}

static gboolean
notify (SipdFlow *from, SipdMessage *request, gpointer user_data)
{
  return FALSE;
}

static void
message (guint line, const char *from, const char *type, const char *body, gpointer user_data)
{
}

static void
invite (guint line, SipdFlow *from, SipdMessage *request, gpointer user_data)
{
  sipd_inbound_respond (stack, from, request, 486, "Busy Here", "fuzz");
}

static gboolean
unsolicited_mwi (guint line, SipdFlow *from, SipdMessage *request, gpointer user_data)
{
  return TRUE;
}

static const SipdInboundHandlers handlers = { find_line, notify, message, invite, unsolicited_mwi };

static void
on_request (SipdStack *s, SipdFlow *f, SipdMessage *request, gpointer user_data)
{
  sipd_inbound_handle (inbound, f, request);
}

static void
setup (void)
{
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) sink_address = NULL;

  g_log_set_writer_func (fuzz_quiet_writer, NULL, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
  sink = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_socket_bind (sink, any, TRUE, NULL);
  sink_address = g_socket_get_local_address (sink, NULL);

  fake_clock = kl_clock_new_fake (1);
  stack = sipd_stack_new (fake_clock, &params, NULL);
  g_assert (stack != NULL);
  inbound = sipd_inbound_new (stack, &handlers, NULL);
  sipd_stack_set_request_handler (stack, on_request, NULL);
  flow = sipd_stack_get_flow (stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (sink_address), "");
}

static void
drain_sink (void)
{
  char buffer[2048];

  while (g_socket_condition_check (sink, G_IO_IN))
    g_socket_receive (sink, buffer, sizeof buffer, NULL, NULL);
}

static void
deliver_frames (SipdFramer *framer)
{
  for (;;) {
    g_autoptr (GBytes) frame = NULL;
    g_autofree char *reason = NULL;
    SipdFrameKind kind = sipd_framer_next (framer, &frame, &reason);

    if (kind == SIPD_FRAME_NEED_MORE || kind == SIPD_FRAME_ERROR)
      return;
    if (kind == SIPD_FRAME_MESSAGE)
      sipd_flow_receive_datagram (flow, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  }
}

static const char our_invite[] = "INVITE sip:1002@keepline.test SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKfuzz\r\n"
                                 "From: <sip:1001@keepline.test>;tag=ours\r\n"
                                 "To: <sip:1002@keepline.test>\r\n"
                                 "Call-ID: fuzz\r\n"
                                 "CSeq: 1 INVITE\r\n"
                                 "Content-Length: 0\r\n\r\n";

/* A dialog made from what the far end sent, and the BYE sent in it. */
static void
fuzz_dialog (const guint8 *data, size_t size)
{
  g_autoptr (SipdMessage) message = sipd_message_parse (data, size, NULL);
  g_autoptr (SipdMessage) invite = NULL;
  g_autoptr (SipdDialog) dialog = NULL;
  SipdBuilder *builder;

  if (message == NULL)
    return;
  if (sipd_message_is_request (message)) {
    dialog = sipd_dialog_new_uas (message, "tag", flow, "<sip:1001@127.0.0.1>");
  } else if (sipd_message_get_sip (message)->sip_to->a_tag != NULL) {
    invite = sipd_message_parse ((const guint8 *) our_invite, sizeof our_invite - 1, NULL);
    dialog = sipd_dialog_new_uac (invite, message, flow, "<sip:1001@127.0.0.1>");
  }
  if (dialog == NULL)
    return;
  (void) sipd_dialog_accept_cseq (dialog, message);
  builder = sipd_dialog_build_request (dialog, "BYE", 0);
  g_bytes_unref (sipd_builder_finish (builder, NULL, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (SipdFramer) framer = sipd_framer_new ();
  SipdMwiSummary summary;
  SipdStunTransactionId id;

  if (stack == NULL)
    setup ();

  /* as a datagram, through the flow and the stack */
  sipd_flow_receive_datagram (flow, data, size);

  /* as a stream, through the framer, in chunks whose sizes the first byte
   * picks, framed after each as the flow's read loop does */
  for (gsize at = 0, chunk = size > 0 ? (gsize) data[0] % 64 + 1 : 1; at < size; at += chunk) {
    if (!sipd_framer_push (framer, data + at, MIN (chunk, size - at)))
      break;
    deliver_frames (framer);
  }

  /* as the bodies the phone subscribes to, and as STUN */
  {
    g_autofree char *reason1 = NULL;
    g_autofree char *reason2 = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GInetSocketAddress) mapped = NULL;

    (void) sipd_mwi_parse ((const char *) data, size, &summary, &reason1);
    (void) sipd_blf_parse ((const char *) data, size, &reason2);
    mapped = sipd_stun_parse_binding_response (data, size, &id, &error);
  }
  fuzz_dialog (data, size);
  {
    g_autofree char *sdp = g_strndup ((const char *) data, size);
    (void) sipd_sdp_check (sdp, NULL);
  }

  /* let server transactions and ringing calls expire, so state stays bounded */
  kl_clock_advance (fake_clock, 200000);
  drain_sink ();
  return 0;
}
