/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reachability probes on a fake clock against sockets of the test's on
 * 127.0.0.1: a TCP listener, a closed port, a UDP socket that answers OPTIONS
 * and one that stays silent; the hysteresis and the back-off. */
#include <string.h>

#include "netmond-probes.h"

typedef struct {
  KlClock *clock;
  NetmondProbes *probes;
  guint changes;
  GSocket *listener;  /* TCP, listening */
  GSocket *answering; /* UDP, answers every OPTIONS with 200 */
  GSocket *silent;    /* UDP, reads and says nothing */
  GSource *answering_source;
  GSource *silent_source;
  guint options_seen;
  guint options_ignored;
} Fixture;

static void
on_changed (NetmondProbes *probes, gpointer user_data)
{
  ((Fixture *) user_data)->changes++;
}

/* A 200 as a server makes it: the request's Via, From, To, Call-ID and CSeq. */
static char *
answer_to (const char *request)
{
  g_auto (GStrv) lines = g_strsplit (request, "\r\n", -1);
  GString *answer = g_string_new ("SIP/2.0 200 OK\r\n");
  const char *copied[] = { "Via:", "From:", "To:", "Call-ID:", "CSeq:", NULL };

  for (guint i = 1; lines[i] != NULL; i++)
    for (guint j = 0; copied[j]; j++)
      if (g_str_has_prefix (lines[i], copied[j]))
        g_string_append_printf (answer, "%s\r\n", lines[i]);
  g_string_append (answer, "Content-Length: 0\r\n\r\n");
  return g_string_free (answer, FALSE);
}

static gboolean
on_options (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Fixture *f = user_data;
  char buffer[2048];
  g_autoptr (GSocketAddress) from = NULL;
  gssize length = g_socket_receive_from (socket, &from, buffer, sizeof buffer - 1, NULL, NULL);
  g_autofree char *answer = NULL;

  if (length <= 0)
    return G_SOURCE_CONTINUE;
  buffer[length] = '\0';
  if (g_str_has_prefix (buffer, "OPTIONS sip:127.0.0.1:") && strstr (buffer, "\r\nCSeq: 1 OPTIONS\r\n") != NULL) {
    f->options_seen++;
    answer = answer_to (buffer);
    g_socket_send_to (socket, from, answer, strlen (answer), NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_ignored (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  char buffer[2048];

  if (g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL) > 0)
    ((Fixture *) user_data)->options_ignored++;
  return G_SOURCE_CONTINUE;
}

static GSource *
watch (GSocket *socket, GSocketSourceFunc func, Fixture *f)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, G_SOURCE_FUNC (func), f, NULL);
  g_source_attach (source, NULL);
  return source;
}

static GSocket *
bound_socket (GSocketType type)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type,
                                  type == G_SOCKET_TYPE_STREAM ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static guint16
port_of (GSocket *socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* A port nothing listens on: bound and closed again. */
static guint16
closed_port (void)
{
  g_autoptr (GSocket) socket = bound_socket (G_SOCKET_TYPE_STREAM);

  return port_of (socket);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->clock = kl_clock_new_fake (5);
  f->probes = netmond_probes_new (f->clock, 100, on_changed, f);
  f->listener = bound_socket (G_SOCKET_TYPE_STREAM);
  g_socket_listen (f->listener, &error);
  g_assert_no_error (error);
  f->answering = bound_socket (G_SOCKET_TYPE_DATAGRAM);
  f->silent = bound_socket (G_SOCKET_TYPE_DATAGRAM);
  f->answering_source = watch (f->answering, on_options, f);
  f->silent_source = watch (f->silent, on_ignored, f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  netmond_probes_free (f->probes);
  g_source_destroy (f->answering_source);
  g_source_unref (f->answering_source);
  g_source_destroy (f->silent_source);
  g_source_unref (f->silent_source);
  g_object_unref (f->listener);
  g_object_unref (f->answering);
  g_object_unref (f->silent);
  kl_clock_unref (f->clock);
}

static void
probe (Fixture *f, guint16 port, KlTransport transport)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  NetmondProbeTarget target = { loopback, port, transport };

  netmond_probes_set_targets (f->probes, &target, 1);
}

static const NetmondProbe *
the_probe (Fixture *f)
{
  g_autoptr (GPtrArray) all = netmond_probes_get_all (f->probes);

  g_assert_cmpuint (all->len, ==, 1);
  return g_ptr_array_index (all, 0);
}

/* Lets the sockets talk until the probe has its state, the clock standing still. */
static void
run_until (Fixture *f, NetmondProbeState state, const char *reason_part)
{
  for (guint i = 0; i < 2000; i++) {
    const NetmondProbe *p = the_probe (f);
    if (p->state == state && strstr (p->reason, reason_part) != NULL)
      return;
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  g_error ("the probe is %s (%s), not %s (%s)", netmond_probe_state_to_string (the_probe (f)->state),
           the_probe (f)->reason, netmond_probe_state_to_string (state), reason_part);
}

static void
settle (void)
{
  for (guint i = 0; i < 50; i++) {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (1000);
  }
}

static void
test_a_listening_tcp_port_is_reachable (Fixture *f, gconstpointer data)
{
  probe (f, port_of (f->listener), KL_TRANSPORT_TCP);
  g_assert_cmpint (the_probe (f)->state, ==, NETMOND_PROBE_STATE_UNKNOWN);
  run_until (f, NETMOND_PROBE_STATE_REACHABLE, "TCP connect works");
  g_assert_cmpint (the_probe (f)->rtt_ms, >=, 0);
  g_assert_cmpuint (netmond_probes_count (f->probes, NETMOND_PROBE_STATE_REACHABLE), ==, 1);
}

static void
test_a_closed_port_is_unreachable_after_two_failures (Fixture *f, gconstpointer data)
{
  probe (f, closed_port (), KL_TRANSPORT_TCP);
  run_until (f, NETMOND_PROBE_STATE_UNKNOWN, "TCP connect: ");
  /* one failure is not enough: the next probe after 5 s */
  kl_clock_advance (f->clock, NETMOND_PROBE_BACKOFF_MIN_S * 1000 - 1);
  settle ();
  g_assert_cmpint (the_probe (f)->state, ==, NETMOND_PROBE_STATE_UNKNOWN);
  kl_clock_advance (f->clock, 1);
  run_until (f, NETMOND_PROBE_STATE_UNREACHABLE, "TCP connect: ");
}

static void
test_failing_probes_back_off (Fixture *f, gconstpointer data)
{
  const guint expected_s[] = { 5, 10, 20, 40, 80, 160, 300, 300 };

  probe (f, port_of (f->silent), KL_TRANSPORT_UDP);
  settle ();
  g_assert_cmpuint (f->options_ignored, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected_s); i++) {
    kl_clock_advance (f->clock, NETMOND_PROBE_TIMEOUT_MS); /* the probe fails */
    kl_clock_advance (f->clock, expected_s[i] * 1000 - 1);
    settle ();
    g_assert_cmpuint (f->options_ignored, ==, i + 1);
    kl_clock_advance (f->clock, 1);
    settle ();
    g_assert_cmpuint (f->options_ignored, ==, i + 2);
  }
  g_assert_cmpint (the_probe (f)->state, ==, NETMOND_PROBE_STATE_UNREACHABLE);
}

static void
test_options_answered_over_udp_is_reachable (Fixture *f, gconstpointer data)
{
  probe (f, port_of (f->answering), KL_TRANSPORT_UDP);
  run_until (f, NETMOND_PROBE_STATE_REACHABLE, "OPTIONS answered 200");
  g_assert_cmpuint (f->options_seen, ==, 1);
}

static void
test_silence_over_udp_fails_at_the_deadline (Fixture *f, gconstpointer data)
{
  probe (f, port_of (f->silent), KL_TRANSPORT_UDP);
  settle ();
  g_assert_cmpstr (the_probe (f)->reason, ==, "not probed yet");
  kl_clock_advance (f->clock, NETMOND_PROBE_TIMEOUT_MS);
  g_assert_cmpstr (the_probe (f)->reason, ==, "no answer within 3 s");
  g_assert_cmpint (the_probe (f)->state, ==, NETMOND_PROBE_STATE_UNKNOWN);
}

static void
test_a_reachable_target_is_probed_again_each_interval (Fixture *f, gconstpointer data)
{
  probe (f, port_of (f->answering), KL_TRANSPORT_UDP);
  run_until (f, NETMOND_PROBE_STATE_REACHABLE, "OPTIONS answered 200");
  kl_clock_advance (f->clock, NETMOND_PROBE_INTERVAL_S * 1000 - 1);
  settle ();
  g_assert_cmpuint (f->options_seen, ==, 1);
  kl_clock_advance (f->clock, 1);
  settle ();
  g_assert_cmpuint (f->options_seen, ==, 2);
}

static void
test_probe_all_now_forgets_the_back_off (Fixture *f, gconstpointer data)
{
  probe (f, port_of (f->answering), KL_TRANSPORT_UDP);
  run_until (f, NETMOND_PROBE_STATE_REACHABLE, "OPTIONS answered 200");
  netmond_probes_probe_all_now (f->probes);
  settle ();
  g_assert_cmpuint (f->options_seen, ==, 2);
}

static void
test_targets_no_longer_wanted_stop (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = NULL;

  probe (f, port_of (f->answering), KL_TRANSPORT_UDP);
  netmond_probes_set_targets (f->probes, NULL, 0);
  all = netmond_probes_get_all (f->probes);
  g_assert_cmpuint (all->len, ==, 0);
  settle ();
  kl_clock_advance (f->clock, NETMOND_PROBE_INTERVAL_S * 1000);
  settle ();
  g_assert_cmpuint (f->options_seen, <=, 1);
}

/* Only a SIP status line followed by the probe's own Call-ID answers it. */
static void
test_only_the_probes_own_answer_counts (void)
{
  const char *ours = "SIP/2.0 404 Not Found\r\nCall-ID: klprobe-0000002a@keepline.invalid\r\n\r\n";
  const char *not_ours[] = {
    "SIP/2.0 200 OK\r\nCall-ID: klprobe-0000002b@keepline.invalid\r\n\r\n",
    "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 099 Low\r\nCall-ID: klprobe-0000002a@keepline.invalid\r\n\r\n",
    "SIP/2.0 2x0 OK\r\nCall-ID: klprobe-0000002a@keepline.invalid\r\n\r\n",
    "OPTIONS sip:x SIP/2.0\r\nCall-ID: klprobe-0000002a@keepline.invalid\r\n\r\n",
    "SIP/2.0 20",
  };
  guint status = 0;

  g_assert_true (netmond_probe_is_answer (ours, strlen (ours), 42, &status));
  g_assert_cmpuint (status, ==, 404);
  for (guint i = 0; i < G_N_ELEMENTS (not_ours); i++)
    g_assert_false (netmond_probe_is_answer (not_ours[i], strlen (not_ours[i]), 42, &status));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/netmond/probes/" path, Fixture, NULL, setup, func, teardown)
  g_test_add_func ("/netmond/probes/only-the-probes-own-answer-counts", test_only_the_probes_own_answer_counts);
  ADD ("a-listening-tcp-port-is-reachable", test_a_listening_tcp_port_is_reachable);
  ADD ("a-closed-port-is-unreachable-after-two-failures", test_a_closed_port_is_unreachable_after_two_failures);
  ADD ("failing-probes-back-off", test_failing_probes_back_off);
  ADD ("options-answered-over-udp-is-reachable", test_options_answered_over_udp_is_reachable);
  ADD ("silence-over-udp-fails-at-the-deadline", test_silence_over_udp_fails_at_the_deadline);
  ADD ("a-reachable-target-is-probed-again-each-interval", test_a_reachable_target_is_probed_again_each_interval);
  ADD ("probe-all-now-forgets-the-back-off", test_probe_all_now_forgets_the_back_off);
  ADD ("targets-no-longer-wanted-stop", test_targets_no_longer_wanted_stop);
#undef ADD
  return g_test_run ();
}
