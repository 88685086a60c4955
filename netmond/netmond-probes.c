/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* memmem */
#define G_LOG_DOMAIN "netmond-probes"

#include "netmond-probes.h"

#include <string.h>

#include "kl-random.h"

typedef struct {
  NetmondProbe public;
  NetmondProbes *owner;
  char *key;
  KlTimer *timer;    /* the next probe */
  KlTimer *deadline; /* of the probe under way */
  GCancellable *cancellable; /* TCP connect under way */
  GSocket *socket;           /* UDP OPTIONS under way */
  GSource *source;
  gint64 started_ms;
  guint32 options_id; /* in the Via branch, tag and Call-ID of the OPTIONS under way */
  guint failures;  /* in a row */
  guint successes; /* in a row */
} Probe;

struct _NetmondProbes {
  KlClock *clock;
  guint scale_percent;
  NetmondProbesChangedFunc changed;
  gpointer user_data;
  GHashTable *probes; /* key -> Probe */
};

static void start_probe (Probe *probe);

const char *
netmond_probe_state_to_string (NetmondProbeState state)
{
  switch (state) {
  case NETMOND_PROBE_STATE_UNKNOWN:
    return "unknown";
  case NETMOND_PROBE_STATE_REACHABLE:
    return "reachable";
  case NETMOND_PROBE_STATE_UNREACHABLE:
    return "unreachable";
  }
  g_return_val_if_reached ("unknown");
}

static char *
host_port (GInetAddress *address, guint16 port)
{
  g_autofree char *text = g_inet_address_to_string (address);
  gboolean v6 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;

  return g_strdup_printf (v6 ? "[%s]:%u" : "%s:%u", text, port);
}

static char *
socket_host_port (GInetSocketAddress *address)
{
  return host_port (g_inet_socket_address_get_address (address), g_inet_socket_address_get_port (address));
}

static char *
key_of (GInetAddress *address, guint16 port, KlTransport transport)
{
  g_autofree char *where = host_port (address, port);

  return g_strdup_printf ("%s/%s", where, kl_transport_to_string (transport));
}

static gint64
scaled_ms (NetmondProbes *self, guint seconds)
{
  return MAX ((gint64) seconds * 1000 * self->scale_percent / 100, 100);
}

static void
stop_attempt (Probe *probe)
{
  kl_timer_stop (probe->deadline);
  if (probe->cancellable != NULL) {
    g_cancellable_cancel (probe->cancellable);
    g_clear_object (&probe->cancellable);
  }
  if (probe->source != NULL) {
    g_source_destroy (probe->source);
    g_clear_pointer (&probe->source, g_source_unref);
  }
  g_clear_object (&probe->socket);
}

static void
done (Probe *probe, gboolean answered, const char *reason)
{
  NetmondProbe *public = &probe->public;
  NetmondProbes *self = probe->owner;
  NetmondProbeState state = public->state;
  gboolean reason_changed = g_strcmp0 (public->reason, reason) != 0;
  guint next_s;

  stop_attempt (probe);
  if (answered) {
    probe->failures = 0;
    probe->successes++;
    public->rtt_ms = (gint32) (kl_clock_now_ms (self->clock) - probe->started_ms);
    if (probe->successes >= NETMOND_PROBE_SUCCESS_THRESHOLD)
      state = NETMOND_PROBE_STATE_REACHABLE;
    next_s = NETMOND_PROBE_INTERVAL_S;
  } else {
    probe->successes = 0;
    probe->failures++;
    if (probe->failures >= NETMOND_PROBE_FAILURE_THRESHOLD)
      state = NETMOND_PROBE_STATE_UNREACHABLE;
    next_s = MIN (NETMOND_PROBE_BACKOFF_MIN_S << MIN (probe->failures - 1, 8u), NETMOND_PROBE_MAX_BACKOFF_S);
  }
  kl_timer_start (probe->timer, scaled_ms (self, next_s));
  if (state == public->state && !reason_changed)
    return;
  if (state != public->state)
    g_message ("%s: %s -> %s (%s)", probe->key, netmond_probe_state_to_string (public->state),
               netmond_probe_state_to_string (state), reason);
  public->state = state;
  g_free (public->reason);
  public->reason = g_strdup (reason);
  self->changed (self, self->user_data);
}

static void
on_deadline (gpointer user_data)
{
  done (user_data, FALSE, "no answer within 3 s");
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result,
                                                                             &error);
  g_autofree char *reason = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* timed out or stopped: the probe may be gone */
  if (connection == NULL) {
    reason = g_strdup_printf ("TCP connect: %s", error->message);
    done (user_data, FALSE, reason);
    return;
  }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  done (user_data, TRUE, "TCP connect works");
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr (GError) error = NULL;
  char buffer[2048];
  gssize length = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  g_autofree char *reason = NULL;
  guint status;

  if (length < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (length < 0) {
    reason = g_strdup_printf ("OPTIONS: %s", error->message);
    done (probe, FALSE, reason);
    return G_SOURCE_REMOVE;
  }
  if (!netmond_probe_is_answer (buffer, (gsize) length, probe->options_id, &status))
    return G_SOURCE_CONTINUE; /* not the answer to this probe: a STUN answer, a late one, noise */
  reason = g_strdup_printf ("OPTIONS answered %03u", status);
  done (probe, TRUE, reason);
  return G_SOURCE_REMOVE;
}

/* A status line of SIP/2.0 with a code of 100 to 699, then the probe's own
 * Call-ID: what else arrives on the connected socket is not an answer. */
gboolean
netmond_probe_is_answer (const char *data, gsize length, guint32 id, guint *ret_status)
{
  char call_id[32];
  gsize call_id_length = (gsize) g_snprintf (call_id, sizeof call_id, "klprobe-%08x@", id);

  if (length < 12 || memcmp (data, "SIP/2.0 ", 8) != 0 || data[8] < '1' || data[8] > '6' ||
      !g_ascii_isdigit (data[9]) || !g_ascii_isdigit (data[10]) || data[11] != ' ')
    return FALSE;
  if (memmem (data, length, call_id, call_id_length) == NULL)
    return FALSE;
  *ret_status = (guint) ((data[8] - '0') * 100 + (data[9] - '0') * 10 + (data[10] - '0'));
  return TRUE;
}

static GBytes *
options_request (Probe *probe, GInetSocketAddress *local)
{
  g_autofree char *remote = socket_host_port (probe->public.address);
  g_autofree char *local_text = socket_host_port (local);
  guint32 id = kl_random_below (G_MAXUINT32);
  char *text;

  probe->options_id = id;
  text = g_strdup_printf ("OPTIONS sip:%s SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP %s;branch=z9hG4bK-klprobe-%08x;rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:probe@keepline.invalid>;tag=%08x\r\n"
                          "To: <sip:%s>\r\n"
                          "Call-ID: klprobe-%08x@keepline.invalid\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "User-Agent: keepline-netmond\r\n"
                          "Content-Length: 0\r\n\r\n",
                          remote, local_text, id, id, remote, id);
  return g_bytes_new_take (text, strlen (text));
}

static void
start_options (Probe *probe)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GBytes) request = NULL;
  GSocketAddress *remote = G_SOCKET_ADDRESS (probe->public.address);
  g_autofree char *reason = NULL;

  probe->socket = g_socket_new (g_socket_address_get_family (remote), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                                &error);
  if (probe->socket != NULL) {
    g_socket_set_blocking (probe->socket, FALSE);
    if (g_socket_connect (probe->socket, remote, NULL, &error))
      local = g_socket_get_local_address (probe->socket, &error);
  }
  if (local != NULL) {
    request = options_request (probe, G_INET_SOCKET_ADDRESS (local));
    if (g_socket_send (probe->socket, g_bytes_get_data (request, NULL), g_bytes_get_size (request), NULL, &error) < 0)
      g_clear_object (&local);
  }
  if (local == NULL) {
    reason = g_strdup_printf ("OPTIONS: %s", error->message);
    done (probe, FALSE, reason);
    return;
  }
  probe->source = g_socket_create_source (probe->socket, G_IO_IN, NULL);
  g_source_set_callback (probe->source, G_SOURCE_FUNC (on_readable), probe, NULL);
  g_source_attach (probe->source, g_main_context_get_thread_default ());
}

static void
start_probe (Probe *probe)
{
  stop_attempt (probe);
  probe->started_ms = kl_clock_now_ms (probe->owner->clock);
  kl_timer_start (probe->deadline, NETMOND_PROBE_TIMEOUT_MS);
  if (probe->public.transport == KL_TRANSPORT_UDP) {
    start_options (probe);
  } else {
    g_autoptr (GSocketClient) client = g_socket_client_new ();
    probe->cancellable = g_cancellable_new ();
    g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (probe->public.address), probe->cancellable,
                                   on_connected, probe);
  }
}

static void
on_timer (gpointer user_data)
{
  start_probe (user_data);
}

static void
probe_free (Probe *probe)
{
  stop_attempt (probe);
  kl_timer_free (probe->timer);
  kl_timer_free (probe->deadline);
  g_object_unref (probe->public.address);
  g_free (probe->public.reason);
  g_free (probe->key);
  g_free (probe);
}

void
netmond_probes_set_targets (NetmondProbes *self, const NetmondProbeTarget *targets, guint n_targets)
{
  g_autoptr (GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) started = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  gboolean removed = FALSE;

  for (guint i = 0; i < n_targets; i++) {
    char *probe_key = key_of (targets[i].address, targets[i].port, targets[i].transport);
    Probe *probe;

    g_hash_table_add (wanted, probe_key);
    if (g_hash_table_contains (self->probes, probe_key))
      continue;
    probe = g_new0 (Probe, 1);
    probe->owner = self;
    probe->key = g_strdup (probe_key);
    probe->public.address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (targets[i].address, targets[i].port));
    probe->public.transport = targets[i].transport;
    probe->public.state = NETMOND_PROBE_STATE_UNKNOWN;
    probe->public.reason = g_strdup ("not probed yet");
    probe->public.rtt_ms = -1;
    probe->timer = kl_timer_new (self->clock, on_timer, probe);
    probe->deadline = kl_timer_new (self->clock, on_deadline, probe);
    g_hash_table_insert (self->probes, probe->key, probe);
    g_ptr_array_add (started, probe);
  }
  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (!g_hash_table_contains (wanted, key)) {
      g_hash_table_iter_remove (&iter);
      removed = TRUE;
    }
  }
  for (guint i = 0; i < started->len; i++)
    start_probe (g_ptr_array_index (started, i));
  if (removed || started->len > 0)
    self->changed (self, self->user_data);
}

void
netmond_probes_probe_all_now (NetmondProbes *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Probe *probe = value;
    probe->failures = MIN (probe->failures, NETMOND_PROBE_FAILURE_THRESHOLD - 1);
    start_probe (probe);
  }
}

static int
compare_probes (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 ((*(const Probe *const *) a)->key, (*(const Probe *const *) b)->key);
}

GPtrArray *
netmond_probes_get_all (NetmondProbes *self)
{
  GPtrArray *all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, compare_probes);
  return all;
}

guint
netmond_probes_count (NetmondProbes *self, NetmondProbeState state)
{
  GHashTableIter iter;
  gpointer value;
  guint count = 0;

  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    count += ((Probe *) value)->public.state == state;
  return count;
}

NetmondProbes *
netmond_probes_new (KlClock *clock, guint scale_percent, NetmondProbesChangedFunc changed, gpointer user_data)
{
  NetmondProbes *self = g_new0 (NetmondProbes, 1);

  self->clock = kl_clock_ref (clock);
  self->scale_percent = scale_percent;
  self->changed = changed;
  self->user_data = user_data;
  self->probes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) probe_free);
  return self;
}

void
netmond_probes_free (NetmondProbes *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->probes);
  kl_clock_unref (self->clock);
  g_free (self);
}
