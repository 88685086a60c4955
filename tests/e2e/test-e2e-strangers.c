/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd hears only its own servers. A line of sipd registers over UDP at a
 * real Kamailio on 127.0.N.2; a stranger on 127.0.N.99 writes to sipd's UDP
 * socket directly:
 * - an INVITE, a MESSAGE, an unsolicited message-summary NOTIFY and a forged
 *   200 OK reach nothing on D-Bus (no IncomingCall, no MessageReceived,
 *   MessagesWaiting stays false, Manager1.Calls stays empty, the line stays
 *   registered), get no answer, and raise Manager1.RejectedRequests by exactly
 *   their number; the same INVITE through Kamailio rings and the same
 *   NOTIFY through Kamailio lights the voicemail lamp, so what made the
 *   difference is who sent it;
 * - a flood of 100,000 OPTIONS and INVITEs leaves sipd's private memory
 *   within 1 MiB of what it was, the line registered on the same flow, and
 *   every datagram the kernel delivered counted in RejectedRequests.
 * And a phone with only TCP lines has no UDP socket: it starts and registers
 * while the test holds its configured "sip local port", and a datagram to
 * that port reaches the test, not sipd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define SERVER kl_test_e2e_address (2)
#define STRANGER kl_test_e2e_address (99)
#define SIP_NAME "org.keepline.Sip"
#define WAIT_MS 10000
#define REJECTED_WAIT_MS 2500 /* RejectedRequests is told once a second */
#define NO_ANSWER_MS 500
#define FLOOD_DATAGRAMS 100000
#define FLOOD_MAX_S 10
#define MEMORY_SLACK (1024 * 1024)

static const char *certdir; /* one set of certificates for the whole run */

typedef struct {
  KlTestKamailio *kamailio;
  KlTestPhone *phone;
  KlSipManager1 *manager;
  GSocket *stranger;
  guint16 stranger_port;
  GSocketAddress *sipd_udp; /* 127.0.0.1 and the port of sipd's UDP socket */
  char *target;             /* the same as host:port, as in sipd's Contact */
  guint signal_id;
  GPtrArray *signals;  /* "Member" of every signal of sipd but PropertiesChanged */
  GHashTable *changed; /* property name -> TRUE, of every PropertiesChanged */
  guint incoming_calls;
  guint messages;
} Fixture;

/* Everything sipd says on the bus */

static void
on_signal (GDBusConnection *connection,
           const char *sender,
           const char *path,
           const char *interface,
           const char *signal,
           GVariant *parameters,
           gpointer data)
{
  Fixture *f = data;
  g_autoptr (GVariant) changed = NULL;
  GVariantIter iter;
  const char *name;

  if (g_strcmp0 (signal, "PropertiesChanged") != 0) {
    g_ptr_array_add (f->signals, g_strdup_printf ("%s %s.%s", path, interface, signal));
    return;
  }
  changed = g_variant_get_child_value (parameters, 1);
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, NULL))
    g_hash_table_add (f->changed, g_strdup (name));
}

static void
on_incoming_call (KlSipLine1 *line, const char *from, const char *call_id, const char *call, gpointer data)
{
  Fixture *f = data;

  g_test_message ("IncomingCall from %s, Call-ID %s", from, call_id);
  f->incoming_calls++;
}

static void
on_message_received (KlSipLine1 *line, const char *from, const char *content_type, const char *body, gpointer data)
{
  Fixture *f = data;

  g_test_message ("MessageReceived from %s: %s", from, body);
  f->messages++;
}

static gboolean
messages_waiting (gpointer data)
{
  return kl_sip_line1_get_messages_waiting (((Fixture *) data)->phone->line);
}

static gboolean
got_call (gpointer data)
{
  Fixture *f = data;
  const char *const *calls = kl_sip_manager1_get_calls (f->manager);

  return f->incoming_calls > 0 && calls != NULL && calls[0] != NULL;
}

static gboolean
got_message (gpointer data)
{
  return ((Fixture *) data)->messages > 0;
}

static void
clear_seen (Fixture *f)
{
  g_ptr_array_set_size (f->signals, 0);
  g_hash_table_remove_all (f->changed);
}

/* sipd */

static void
write_config (Fixture *f, int protocol, guint16 local_port)
{
  g_autofree char *text = g_strdup_printf ("sip local port: %u\n"
                                           "sip outbound support: 1\n"
                                           "sip transport protocol: %d\n"
                                           "sip proxy ip: %s\n"
                                           "sip proxy port: 5060\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n",
                                           local_port, protocol, SERVER);

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
}

static void
start_sipd (Fixture *f, int protocol, guint16 local_port)
{
  g_autoptr (GError) error = NULL;

  write_config (f, protocol, local_port);
  kl_test_phone_start_sipd (f->phone);
  f->signal_id = g_dbus_connection_signal_subscribe (f->phone->bus->connection, SIP_NAME, NULL, NULL, NULL, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f, NULL);
  f->manager = kl_sip_manager1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, SIP_NAME,
                                               "/org/keepline/Sip", NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->phone->line, "incoming-call", G_CALLBACK (on_incoming_call), f);
  g_signal_connect (f->phone->line, "message-received", G_CALLBACK (on_message_received), f);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
}

static int
sipd_pid (Fixture *f)
{
  const char *identifier = g_subprocess_get_identifier (f->phone->sipd);

  g_assert_nonnull (identifier);
  return atoi (identifier);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
  f->phone = kl_test_phone_new ();
  f->signals = g_ptr_array_new_with_free_func (g_free);
  f->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->signal_id != 0)
    g_dbus_connection_signal_unsubscribe (f->phone->bus->connection, f->signal_id);
  g_clear_object (&f->stranger);
  g_clear_object (&f->sipd_udp);
  g_free (f->target);
  g_clear_object (&f->manager);
  kl_test_phone_free (f->phone);
  kl_test_kamailio_free (f->kamailio);
  g_ptr_array_unref (f->signals);
  g_hash_table_unref (f->changed);
}

/* The line's flow */

typedef struct {
  char *transport;
  char *local; /* host:port; for UDP, sipd's socket */
  char *remote;
  char *state;
  guint failures;
} Flow;

static void
flow_clear (Flow *flow)
{
  g_free (flow->transport);
  g_free (flow->local);
  g_free (flow->remote);
  g_free (flow->state);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Flow, flow_clear)

static void
line_flow (Fixture *f, Flow *ret_flow)
{
  GVariant *flows = kl_sip_line1_get_flows (f->phone->line);
  g_autoptr (GVariant) entry = NULL;
  const char *text;

  g_assert_nonnull (flows);
  g_assert_cmpuint (g_variant_n_children (flows), ==, 1);
  entry = g_variant_get_child_value (flows, 0);
  kl_test_lookup (entry, "transport", "&s", &text);
  ret_flow->transport = g_strdup (text);
  kl_test_lookup (entry, "local", "&s", &text);
  ret_flow->local = g_strdup (text);
  kl_test_lookup (entry, "remote", "&s", &text);
  ret_flow->remote = g_strdup (text);
  kl_test_lookup (entry, "state", "&s", &text);
  ret_flow->state = g_strdup (text);
  kl_test_lookup (entry, "failures", "u", &ret_flow->failures);
}

/* sipd's UDP socket, from the line's flow: its "local" is the socket's own
 * address, 0.0.0.0:port; the stranger writes to that port on 127.0.0.1, as
 * the server does. */
static GSocketAddress *
sipd_udp_address (Fixture *f, Flow *flow)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnectable) local = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  guint16 port;

  g_assert_cmpstr (flow->transport, ==, "udp");
  local = g_network_address_parse (flow->local, 0, &error);
  g_assert_no_error (error);
  port = g_network_address_get_port (G_NETWORK_ADDRESS (local));
  g_assert_cmpuint (port, >, 0);
  return g_inet_socket_address_new (loopback, port);
}

/* "127.0.0.1:port" of sipd's UDP socket, as in its Contact. */
static char *
host_port (GSocketAddress *address)
{
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));

  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (inet));
}

/* The stranger */

static GSocket *
udp_socket_on (const char *host, guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) bind_address = g_inet_socket_address_new (address, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  /* no SO_REUSEADDR / SO_REUSEPORT: nobody else may bind this port beside us */
  g_socket_bind (socket, bind_address, FALSE, &error);
  g_assert_no_error (error);
  return socket;
}

static guint16
local_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  g_assert_nonnull (local);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static gboolean
send_text (GSocket *socket, GSocketAddress *to, const char *text)
{
  g_autoptr (GError) error = NULL;
  gssize sent = g_socket_send_to (socket, to, text, strlen (text), NULL, &error);

  if (sent < 0)
    g_test_message ("send: %s", error->message);
  return sent == (gssize) strlen (text);
}

/* Whether anything arrives on the socket within TIMEOUT_MS; its first line. */
static char *
receive_text (GSocket *socket, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  char buffer[65536];
  gssize received;

  if (!g_socket_condition_timed_wait (socket, G_IO_IN, (gint64) timeout_ms * 1000, NULL, &error))
    return NULL;
  received = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[received] = '\0';
  return g_strndup (buffer, strcspn (buffer, "\r\n"));
}

static const char sdp[] = "v=0\r\n"
                          "o=- 1 1 IN IP4 %s\r\n"
                          "s=-\r\n"
                          "c=IN IP4 %s\r\n"
                          "t=0 0\r\n"
                          "m=audio 40000 RTP/AVP 0\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n";

/* A request for 1001 as Kamailio would forward it to the line's Contact. */
static char *
stranger_request (const char *method,
                  const char *target,
                  guint16 port,
                  guint serial,
                  const char *extra,
                  const char *content_type,
                  const char *body)
{
  g_autoptr (GString) text = g_string_new (NULL);

  g_string_append_printf (text, "%s sip:1001@%s SIP/2.0\r\n", method, target);
  g_string_append_printf (text, "Via: SIP/2.0/UDP %s:%u;rport;branch=z9hG4bK-stranger-%u\r\n", STRANGER, port,
                          serial);
  g_string_append (text, "Max-Forwards: 70\r\n");
  g_string_append_printf (text, "From: \"Stranger\" <sip:tester@%s>;tag=st%u\r\n", SERVER, serial);
  g_string_append_printf (text, "To: <sip:1001@%s>\r\n", SERVER);
  g_string_append_printf (text, "Call-ID: stranger-%u@%s\r\n", serial, STRANGER);
  g_string_append_printf (text, "CSeq: 1 %s\r\n", method);
  g_string_append_printf (text, "Contact: <sip:tester@%s:%u>\r\n", STRANGER, port);
  if (extra != NULL)
    g_string_append (text, extra);
  if (body != NULL)
    g_string_append_printf (text, "Content-Type: %s\r\n", content_type);
  g_string_append_printf (text, "Content-Length: %zu\r\n\r\n%s", body ? strlen (body) : 0, body ? body : "");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* A line over UDP, registered, and a stranger on its own address. */
static void
start_sipd_and_a_stranger (Fixture *f, Flow *ret_flow)
{
  start_sipd (f, 1, 0);
  line_flow (f, ret_flow);
  g_test_message ("line 1's flow: %s %s -> %s, %s", ret_flow->transport, ret_flow->local, ret_flow->remote,
                  ret_flow->state);
  g_assert_cmpstr (ret_flow->state, ==, "active");
  f->sipd_udp = sipd_udp_address (f, ret_flow);
  f->target = host_port (f->sipd_udp);
  f->stranger = udp_socket_on (STRANGER, 0);
  f->stranger_port = local_port (f->stranger);
}

/* RejectedRequests */

typedef struct {
  Fixture *f;
  guint64 at_least;
} RejectedWait;

static guint64
rejected (Fixture *f)
{
  return kl_sip_manager1_get_rejected_requests (f->manager);
}

static gboolean
rejected_reached (gpointer data)
{
  RejectedWait *wait = data;

  return rejected (wait->f) >= wait->at_least;
}

/* Runs the main loop for MS, so that what sipd says reaches the proxies. */
static void
settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end) {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (10 * 1000);
  }
}

/* /proc */

/* Private_Clean + Private_Dirty of the process, in bytes. */
static guint64
private_memory (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps_rollup", pid);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  guint64 kib = 0;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "Private_Clean:") || g_str_has_prefix (lines[i], "Private_Dirty:"))
      kib += g_ascii_strtoull (strchr (lines[i], ':') + 1, NULL, 10);
  }
  g_assert_cmpuint (kib, >, 0);
  return kib * 1024;
}

/* The inodes of the sockets the process holds open. */
static GHashTable *
socket_inodes (int pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
  GHashTable *inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (dir_path, name, NULL);
    g_autofree char *target = g_file_read_link (path, NULL);
    guint64 inode;

    if (target != NULL && sscanf (target, "socket:[%" G_GUINT64_FORMAT "]", &inode) == 1)
      g_hash_table_add (inodes, g_strdup_printf ("%" G_GUINT64_FORMAT, inode));
  }
  return inodes;
}

typedef struct {
  guint16 port;
  guint64 drops;
} UdpSocket;

/* The UDP sockets of the process, from /proc/net/udp and udp6: their local
 * port and how many datagrams the kernel dropped for them. */
static GArray *
udp_sockets_of (int pid)
{
  g_autoptr (GHashTable) inodes = socket_inodes (pid);
  const char *tables[] = { "/proc/net/udp", "/proc/net/udp6" };
  GArray *sockets = g_array_new (FALSE, TRUE, sizeof (UdpSocket));

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++) {
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;

    if (!g_file_get_contents (tables[t], &text, NULL, NULL))
      continue;
    lines = g_strsplit (text, "\n", -1);
    for (guint i = 1; lines[i]; i++) {
      g_auto (GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr (GPtrArray) words = g_ptr_array_new ();
      UdpSocket socket;
      const char *port;

      for (guint j = 0; fields[j]; j++)
        if (*fields[j])
          g_ptr_array_add (words, fields[j]);
      /* sl local rem st queues tr retrnsmt uid timeout inode ref pointer drops */
      if (words->len < 13 || !g_hash_table_contains (inodes, g_ptr_array_index (words, 9)))
        continue;
      port = strrchr (g_ptr_array_index (words, 1), ':');
      g_assert_nonnull (port);
      socket.port = (guint16) g_ascii_strtoull (port + 1, NULL, 16);
      socket.drops = g_ascii_strtoull (g_ptr_array_index (words, 12), NULL, 10);
      g_array_append_val (sockets, socket);
    }
  }
  return sockets;
}

/* How many datagrams the kernel dropped for sipd's socket on PORT. */
static guint64
udp_drops (int pid, guint16 port)
{
  g_autoptr (GArray) sockets = udp_sockets_of (pid);

  for (guint i = 0; i < sockets->len; i++)
    if (g_array_index (sockets, UdpSocket, i).port == port)
      return g_array_index (sockets, UdpSocket, i).drops;
  g_error ("sipd has no UDP socket on port %u", port);
}

/* Strangers' datagrams */

static void
test_strangers_datagrams_reach_nothing_and_the_same_invite_through_the_server_rings (Fixture *f,
                                                                                     gconstpointer data)
{
  const char *invite_args[] = { "invite", "1001", SERVER, NULL };
  const char *notify_args[] = { "notify", "1001", SERVER, "2", "0", NULL };
  g_autofree char *notify_out = NULL;
  g_auto (Flow) flow = { 0 };
  g_autofree char *sdp_body = g_strdup_printf (sdp, STRANGER, STRANGER);
  g_autofree char *invite = NULL;
  g_autofree char *message = NULL;
  g_autofree char *notify = NULL;
  g_autofree char *ok = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *out = NULL;
  RejectedWait wait;
  guint64 before;
  gint64 sent_at;
  const char *kept[] = { "Calls", "MessagesWaiting", "VoiceMessages", "State", "LastError", NULL };

  start_sipd_and_a_stranger (f, &flow);
  settle (1200); /* whatever registering set off has been told */
  before = rejected (f);
  clear_seen (f);

  invite = stranger_request ("INVITE", f->target, f->stranger_port, 1, NULL, "application/sdp", sdp_body);
  message = stranger_request ("MESSAGE", f->target, f->stranger_port, 2, NULL, "text/plain",
                              "hello from a stranger");
  notify = stranger_request ("NOTIFY", f->target, f->stranger_port, 3,
                             "Event: message-summary\r\nSubscription-State: active;expires=3600\r\n",
                             "application/simple-message-summary",
                             "Messages-Waiting: yes\r\nVoice-Message: 2/0 (0/0)\r\n");
  /* a 200 OK to a REGISTER sipd never sent: its branch copies nothing real */
  ok = g_strdup_printf ("SIP/2.0 200 OK\r\n"
                        "Via: SIP/2.0/UDP %s;rport=%u;received=127.0.0.1;branch=z9hG4bK-forged-4\r\n"
                        "From: <sip:1001@%s>;tag=forged4\r\n"
                        "To: <sip:1001@%s>;tag=forged4\r\n"
                        "Call-ID: forged-4@%s\r\n"
                        "CSeq: 1 REGISTER\r\n"
                        "Contact: <sip:1001@%s;ob>;expires=3600\r\n"
                        "Content-Length: 0\r\n\r\n",
                        f->target, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (f->sipd_udp)), SERVER,
                        SERVER, STRANGER, f->target);

  sent_at = g_get_monotonic_time ();
  g_assert_true (send_text (f->stranger, f->sipd_udp, invite));
  g_assert_true (send_text (f->stranger, f->sipd_udp, message));
  g_assert_true (send_text (f->stranger, f->sipd_udp, notify));
  g_assert_true (send_text (f->stranger, f->sipd_udp, ok));

  /* counted, all four, within ~2 s */
  wait = (RejectedWait) { f, before + 4 };
  if (!kl_test_wait_until (rejected_reached, &wait, REJECTED_WAIT_MS))
    g_error ("RejectedRequests is %" G_GUINT64_FORMAT " %.1f s after 4 datagrams of a stranger, not %"
             G_GUINT64_FORMAT, rejected (f), (g_get_monotonic_time () - sent_at) / 1e6, before + 4);
  g_test_message ("RejectedRequests went from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " in %.2f s", before,
                  rejected (f), (g_get_monotonic_time () - sent_at) / 1e6);

  /* the stranger hears nothing back */
  answer = receive_text (f->stranger, NO_ANSWER_MS);
  g_assert_cmpstr (answer, ==, NULL);

  /* exactly four, still, after the next report would have come */
  settle (1200);
  g_assert_cmpuint (rejected (f), ==, before + 4);

  /* nothing of it on D-Bus */
  for (guint i = 0; i < f->signals->len; i++)
    g_test_message ("signal of sipd: %s", (char *) g_ptr_array_index (f->signals, i));
  g_assert_cmpuint (f->signals->len, ==, 0);
  g_assert_cmpuint (f->incoming_calls, ==, 0);
  g_assert_cmpuint (f->messages, ==, 0);
  for (guint i = 0; kept[i]; i++)
    if (g_hash_table_contains (f->changed, kept[i]))
      g_error ("the stranger changed %s", kept[i]);
  g_assert_false (kl_sip_line1_get_messages_waiting (f->phone->line));
  g_assert_cmpuint (g_strv_length ((GStrv) kl_sip_manager1_get_calls (f->manager)), ==, 0);
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");

  /* the same INVITE from the line's server rings */
  kl_test_kamailio_inject (f->kamailio, invite_args, &out);
  g_test_message ("injector: %s", out);
  g_assert_true (kl_test_wait_until (got_call, f, WAIT_MS));
  g_assert_cmpuint (f->incoming_calls, ==, 1);
  g_assert_cmpuint (g_strv_length ((GStrv) kl_sip_manager1_get_calls (f->manager)), ==, 1);
  g_assert_cmpuint (rejected (f), ==, before + 4);

  /* and the same unsolicited NOTIFY, from the line's server, lights the lamp */
  kl_test_kamailio_inject (f->kamailio, notify_args, &notify_out);
  g_test_message ("injector: %s", notify_out);
  g_assert_true (kl_test_wait_until (messages_waiting, f, WAIT_MS));
  g_assert_cmpuint (rejected (f), ==, before + 4);
}

/* A flood of strangers */

/* sipd is built as this test is. AddressSanitizer keeps freed memory in
 * quarantine and touches shadow pages for it, so private memory says little
 * about sipd there (+1.8 MiB for the flood, against +0 to +4 KiB without);
 * the figure is still printed, and the unsanitized build holds the bound. */
static gboolean
built_with_address_sanitizer (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return TRUE;
#else
  return FALSE;
#endif
#else
  return FALSE;
#endif
}

static void
test_a_flood_of_strangers_costs_no_memory_and_leaves_the_line_alone (Fixture *f, gconstpointer data)
{
  const char *message_args[] = { "message", "1001", SERVER, "after the flood", NULL };
  g_auto (Flow) flow = { 0 };
  g_auto (Flow) after_flow = { 0 };
  g_autofree char *sdp_body = g_strdup_printf (sdp, STRANGER, STRANGER);
  g_autofree char *options = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *invite = NULL;
  int pid;
  guint16 sipd_port;
  guint64 memory_before, memory_after, rejected_before, rejected_after, drops_before, drops_after, dropped;
  guint64 sent = 0, failed = 0, last = G_MAXUINT64;
  gint64 start, deadline, elapsed, stable_since;
  gint64 memory_change;

  start_sipd_and_a_stranger (f, &flow);
  pid = sipd_pid (f);
  sipd_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (f->sipd_udp));
  /* templates with the serial left to fill in */
  options = stranger_request ("OPTIONS", f->target, f->stranger_port, 0, NULL, NULL, NULL);
  invite = stranger_request ("INVITE", f->target, f->stranger_port, 0, NULL, "application/sdp", sdp_body);

  settle (1000); /* registration settled, sipd idle */
  memory_before = private_memory (pid);
  rejected_before = rejected (f);
  drops_before = udp_drops (pid, sipd_port);

  start = g_get_monotonic_time ();
  deadline = start + FLOOD_MAX_S * G_USEC_PER_SEC;
  while (sent < FLOOD_DATAGRAMS && g_get_monotonic_time () < deadline) {
    /* unique branch, From tag and Call-ID: the serial in place of 0 */
    g_autoptr (GString) text = g_string_new (sent % 2 ? invite : options);
    g_autofree char *serial = g_strdup_printf ("stranger-%" G_GUINT64_FORMAT, sent + 1);
    g_autofree char *tag = g_strdup_printf ("tag=st%" G_GUINT64_FORMAT, sent + 1);

    g_string_replace (text, "stranger-0", serial, 0);
    g_string_replace (text, "tag=st0", tag, 0);
    if (g_socket_send_to (f->stranger, f->sipd_udp, text->str, text->len, NULL, NULL) == (gssize) text->len)
      sent++;
    else
      failed++;
  }
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("flood: %" G_GUINT64_FORMAT " datagrams sent in %.2f s (%.0f/s), %" G_GUINT64_FORMAT
                  " sends failed",
                  sent, elapsed / 1e6, sent / (elapsed / 1e6), failed);
  g_assert_cmpuint (sent, >=, FLOOD_DATAGRAMS);

  /* RejectedRequests settles: unchanged over two reports */
  stable_since = g_get_monotonic_time ();
  while (g_get_monotonic_time () - stable_since < 2200 * 1000) {
    if (rejected (f) != last) {
      last = rejected (f);
      stable_since = g_get_monotonic_time ();
    }
    g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
    settle (100);
  }
  rejected_after = rejected (f) - rejected_before;
  drops_after = udp_drops (pid, sipd_port);
  dropped = drops_after - drops_before;
  g_test_message ("RejectedRequests rose by %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  " sent; the kernel dropped %" G_GUINT64_FORMAT " (sent - dropped = %" G_GUINT64_FORMAT ")",
                  rejected_after, sent, dropped, sent - dropped);
  g_assert_cmpuint (rejected_after, >, 0);
  g_assert_cmpuint (rejected_after, <=, sent);
  g_assert_cmpuint (rejected_after, >=, sent - dropped);
  answer = receive_text (f->stranger, NO_ANSWER_MS);
  g_assert_cmpstr (answer, ==, NULL);

  settle (1000); /* idle again */
  memory_after = private_memory (pid);
  memory_change = (gint64) memory_after - (gint64) memory_before;
  g_test_message ("sipd's private memory: %" G_GUINT64_FORMAT " KiB before the flood, %" G_GUINT64_FORMAT
                  " KiB after (%+" G_GINT64_FORMAT " KiB)",
                  memory_before / 1024, memory_after / 1024, memory_change / 1024);
  if (!built_with_address_sanitizer ())
    g_assert_cmpint (ABS (memory_change), <=, MEMORY_SLACK);

  /* the line is where it was, on the same flow, and still hears its server */
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
  line_flow (f, &after_flow);
  g_assert_cmpstr (after_flow.transport, ==, flow.transport);
  g_assert_cmpstr (after_flow.local, ==, flow.local);
  g_assert_cmpstr (after_flow.remote, ==, flow.remote);
  g_assert_cmpstr (after_flow.state, ==, "active");
  g_assert_cmpuint (after_flow.failures, ==, flow.failures);
  g_assert_cmpuint (f->incoming_calls, ==, 0);
  g_assert_cmpuint (g_strv_length ((GStrv) kl_sip_manager1_get_calls (f->manager)), ==, 0);
  g_assert_cmpint (kl_test_kamailio_inject (f->kamailio, message_args, NULL), ==, 0);
  g_assert_true (kl_test_wait_until (got_message, f, WAIT_MS));
}

/* No UDP socket without a UDP line */

static void
test_tcp_lines_open_no_udp_socket (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) holder = udp_socket_on ("0.0.0.0", 0);
  guint16 held = local_port (holder);
  g_autoptr (GArray) sockets = NULL;
  g_autoptr (GSocketAddress) to = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autofree char *arrived = NULL;
  g_autofree char *options = NULL;
  g_auto (Flow) flow = { 0 };
  guint16 port;

  /* the test holds UDP 0.0.0.0:P, and gives sipd P as its local port */
  g_test_message ("the test holds UDP port %u", held);
  start_sipd (f, 2, held);
  line_flow (f, &flow);
  g_test_message ("line 1's flow: %s %s -> %s, %s", flow.transport, flow.local, flow.remote, flow.state);
  g_assert_cmpstr (flow.transport, ==, "tcp");
  g_assert_cmpstr (flow.state, ==, "active");

  sockets = udp_sockets_of (sipd_pid (f));
  for (guint i = 0; i < sockets->len; i++)
    g_test_message ("sipd has a UDP socket on port %u", g_array_index (sockets, UdpSocket, i).port);
  g_assert_cmpuint (sockets->len, ==, 0);

  /* a stranger writing to that port reaches the test */
  f->stranger = udp_socket_on (STRANGER, 0);
  port = local_port (f->stranger);
  to = g_inet_socket_address_new (loopback, held);
  options = stranger_request ("OPTIONS", "127.0.0.1", port, 1, NULL, NULL, NULL);
  g_assert_true (send_text (f->stranger, to, options));
  arrived = receive_text (holder, WAIT_MS);
  g_assert_cmpstr (arrived, ==, "OPTIONS sip:1001@127.0.0.1 SIP/2.0");
  settle (1200);
  g_assert_cmpuint (rejected (f), ==, 0);
  g_assert_cmpstr (kl_sip_line1_get_state (f->phone->line), ==, "registered");
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();

  kl_test_e2e_add ("/e2e/strangers/datagrams-reach-nothing-and-the-same-invite-through-the-server-rings", Fixture,
                   NULL, fixture_setup,
                   test_strangers_datagrams_reach_nothing_and_the_same_invite_through_the_server_rings,
                   fixture_teardown);
  kl_test_e2e_add ("/e2e/strangers/flood-costs-no-memory-and-leaves-the-line-alone", Fixture, NULL, fixture_setup,
                   test_a_flood_of_strangers_costs_no_memory_and_leaves_the_line_alone, fixture_teardown);
  kl_test_e2e_add ("/e2e/strangers/tcp-lines-open-no-udp-socket", Fixture, NULL, fixture_setup,
                   test_tcp_lines_open_no_udp_socket, fixture_teardown);

  return kl_test_e2e_run ();
}
