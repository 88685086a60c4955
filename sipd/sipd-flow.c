/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-flow"

#include "sipd-flow-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kl-log.h"
#include "sipd-stun.h"

static guint next_flow_id = 1;

const char *
sipd_flow_state_to_string (SipdFlowState state)
{
  switch (state) {
  case SIPD_FLOW_STATE_CONNECTING:
    return "connecting";
  case SIPD_FLOW_STATE_ACTIVE:
    return "active";
  case SIPD_FLOW_STATE_FAILED:
    return "failed";
  case SIPD_FLOW_STATE_CLOSED:
    return "closed";
  }
  g_return_val_if_reached ("?");
}

char *
sipd_socket_address_to_string (GInetSocketAddress *address)
{
  g_autofree char *host = NULL;

  if (address == NULL)
    return g_strdup ("");
  host = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  if (g_inet_address_get_family (g_inet_socket_address_get_address (address)) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (address));
}

void
sipd_flow_log (SipdFlow *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("flow %u (%s)", self->id, self->label);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "FLOW", self->id, prefix, format, args);
  va_end (args);
}

void
sipd_flow_update_label (SipdFlow *self)
{
  g_autofree char *local = sipd_socket_address_to_string (self->local);
  g_autofree char *remote = sipd_socket_address_to_string (self->remote);

  g_free (self->label);
  self->label = g_strdup_printf ("%s %s -> %s", kl_transport_to_string (self->transport),
                                 *local ? local : "?", remote);
}

/* Lifetime */

static void on_connect_timeout (gpointer user_data);
static const SipdKeepaliveCallbacks keepalive_callbacks;

SipdFlow *
sipd_flow_new (KlClock *clock,
               const SipdFlowParams *params,
               const SipdFlowCallbacks *callbacks,
               gpointer user_data)
{
  SipdFlow *self = g_new0 (SipdFlow, 1);

  g_return_val_if_fail (params->remote != NULL, NULL);
  g_return_val_if_fail (params->transport != KL_TRANSPORT_UDP || params->udp != NULL, NULL);
  g_return_val_if_fail (params->transport != KL_TRANSPORT_TLS || params->tls != NULL, NULL);

  self->ref_count = 1;
  self->id = next_flow_id++;
  self->clock = kl_clock_ref (clock);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->transport = params->transport;
  self->remote = g_object_ref (params->remote);
  self->server_name = g_strdup (params->server_name);
  self->local_port = params->local_port;
  self->tls = params->tls;
  self->udp = params->udp;
  self->connect_timeout_ms = params->connect_timeout_ms > 0 ? params->connect_timeout_ms : 10000;
  self->state = SIPD_FLOW_STATE_CONNECTING;
  self->output = g_byte_array_new ();
  self->framer = sipd_framer_new ();
  self->connect_timer = kl_timer_new (clock, on_connect_timeout, self);
  self->keepalive = sipd_keepalive_new (clock, kl_transport_is_stream (self->transport), self->id,
                                        &keepalive_callbacks, self);
  if (self->udp != NULL)
    self->local = g_object_ref (sipd_udp_socket_get_local_address (self->udp));
  sipd_flow_update_label (self);
  return self;
}

SipdFlow *
sipd_flow_ref (SipdFlow *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Releases the socket and every timer; the flow keeps its identity and reason. */
static void
teardown (SipdFlow *self)
{
  kl_timer_stop (self->connect_timer);
  sipd_keepalive_stop (self->keepalive);
  drop_source (&self->read_source);
  drop_source (&self->write_source);
  if (self->session != NULL) {
    gnutls_deinit (self->session);
    self->session = NULL;
  }
  if (self->socket != NULL) {
    g_socket_close (self->socket, NULL);
    g_clear_object (&self->socket);
  }
  g_byte_array_set_size (self->output, 0);
}

void
sipd_flow_unref (SipdFlow *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  teardown (self);
  if (self->start_failure != NULL) {
    g_source_destroy (self->start_failure);
    g_source_unref (self->start_failure);
  }
  kl_timer_free (self->connect_timer);
  sipd_keepalive_free (self->keepalive);
  sipd_framer_free (self->framer);
  g_byte_array_unref (self->output);
  g_clear_object (&self->remote);
  g_clear_object (&self->local);
  kl_clock_unref (self->clock);
  g_free (self->server_name);
  g_free (self->label);
  g_free (self->failure);
  g_free (self);
}

static void
emit_state_changed (SipdFlow *self)
{
  if (self->callbacks.state_changed != NULL)
    self->callbacks.state_changed (self, self->user_data);
}

void
sipd_flow_set_active (SipdFlow *self)
{
  kl_timer_stop (self->connect_timer);
  self->state = SIPD_FLOW_STATE_ACTIVE;
  sipd_flow_log (self, G_LOG_LEVEL_INFO, "connecting -> active");
  sipd_flow_ref (self);
  emit_state_changed (self);
  if (self->state == SIPD_FLOW_STATE_ACTIVE)
    sipd_flow_flush_output (self); /* what was queued while connecting */
  sipd_flow_unref (self);
}

void
sipd_flow_set_failed (SipdFlow *self, const char *reason)
{
  if (self->state == SIPD_FLOW_STATE_FAILED || self->state == SIPD_FLOW_STATE_CLOSED)
    return;
  sipd_flow_log (self, G_LOG_LEVEL_MESSAGE, "%s -> failed (%s)", sipd_flow_state_to_string (self->state),
            reason);
  self->state = SIPD_FLOW_STATE_FAILED;
  g_free (self->failure);
  self->failure = g_strdup (reason);
  teardown (self);
  sipd_flow_ref (self);
  emit_state_changed (self);
  sipd_flow_unref (self);
}

void
sipd_flow_set_closed_by_server (SipdFlow *self)
{
  if (self->state == SIPD_FLOW_STATE_ACTIVE)
    self->closed_by_server = TRUE;
  sipd_flow_set_failed (self, "connection closed by the server");
}

void
sipd_flow_fail (SipdFlow *self, const char *reason)
{
  sipd_flow_set_failed (self, reason);
}

static gboolean
on_start_failure (gpointer user_data)
{
  SipdFlow *self = user_data;
  g_autofree char *reason = g_strdup (self->failure);

  g_clear_pointer (&self->start_failure, g_source_unref);
  sipd_flow_set_failed (self, reason);
  return G_SOURCE_REMOVE;
}

/* Whoever started the flow holds it and watches it only once
 * sipd_flow_start() has returned: a failure at once is told a moment later. */
void
sipd_flow_fail_soon (SipdFlow *self, const char *reason)
{
  g_free (self->failure);
  self->failure = g_strdup (reason);
  self->start_failure = g_idle_source_new ();
  g_source_set_callback (self->start_failure, on_start_failure, self, NULL);
  g_source_attach (self->start_failure, g_main_context_get_thread_default ());
}

void
sipd_flow_close (SipdFlow *self)
{
  if (self->state == SIPD_FLOW_STATE_FAILED || self->state == SIPD_FLOW_STATE_CLOSED)
    return;
  sipd_flow_log (self, G_LOG_LEVEL_INFO, "%s -> closed", sipd_flow_state_to_string (self->state));
  if (self->session != NULL && !self->handshaking)
    gnutls_bye (self->session, GNUTLS_SHUT_WR); /* best effort, non-blocking */
  self->state = SIPD_FLOW_STATE_CLOSED;
  teardown (self);
}

static void
on_connect_timeout (gpointer user_data)
{
  SipdFlow *self = user_data;

  sipd_flow_set_failed (self, self->handshaking ? "TLS handshake timed out" : "connect timed out");
}

/* Keep-alive */

static void
on_keepalive_send (GBytes *ping, gpointer user_data)
{
  SipdFlow *self = user_data;
  g_autoptr (GError) error = NULL;
  gsize length;
  const guint8 *bytes = g_bytes_get_data (ping, &length);

  if (self->transport == KL_TRANSPORT_UDP) {
    if (!sipd_udp_socket_send (self->udp, self->remote, ping, &error))
      sipd_flow_log (self, G_LOG_LEVEL_DEBUG, "STUN send: %s", error->message);
    return;
  }
  g_byte_array_append (self->output, bytes, (guint) length);
  sipd_flow_flush_output (self);
}

static void
on_keepalive_answered (gpointer user_data)
{
  SipdFlow *self = user_data;

  if (self->callbacks.keepalive_answered != NULL)
    self->callbacks.keepalive_answered (self, self->user_data);
}

static void
on_keepalive_failed (const char *reason, gpointer user_data)
{
  sipd_flow_set_failed (user_data, reason);
}

static void
on_keepalive_suspect (const char *reason, gpointer user_data)
{
  SipdFlow *self = user_data;

  if (self->callbacks.suspect != NULL)
    self->callbacks.suspect (self, reason, self->user_data);
}

/* The kernel holds data for the server and its timer has fired at least
 * once: it retransmitted unacknowledged data (tcpi_retransmits), or backed
 * off (tcpi_backoff, tcpi_probes) because a packet could not leave at all,
 * as when a local firewall drops it. A sign that the server's host, or the
 * way to it, is gone. */
static gboolean
on_keepalive_stalled (gpointer user_data)
{
  SipdFlow *self = user_data;
  struct tcp_info info;
  socklen_t length = sizeof info;
  int queued = 0;
  int fd;

  if (self->socket == NULL || self->transport == KL_TRANSPORT_UDP)
    return FALSE;
  fd = g_socket_get_fd (self->socket);
  memset (&info, 0, sizeof info);
  if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 || ioctl (fd, TIOCOUTQ, &queued) != 0)
    return FALSE;
  return queued > 0 && (info.tcpi_retransmits > 0 || info.tcpi_backoff > 0 || info.tcpi_probes > 0);
}

static const SipdKeepaliveCallbacks keepalive_callbacks = {
  on_keepalive_send,
  on_keepalive_answered,
  on_keepalive_failed,
  on_keepalive_suspect,
  on_keepalive_stalled,
};

void
sipd_flow_start_keepalive (SipdFlow *self, guint flow_timer_s, guint configured_s, gint64 suspect_floor_ms)
{
  if (self->state != SIPD_FLOW_STATE_ACTIVE)
    return;
  sipd_keepalive_start (self->keepalive, flow_timer_s, configured_s, suspect_floor_ms);
}

/* RFC 6223: keep-alives every interval_s that await no answer. */
void
sipd_flow_start_unanswered_keepalive (SipdFlow *self, guint interval_s)
{
  if (self->state != SIPD_FLOW_STATE_ACTIVE)
    return;
  sipd_keepalive_start_unanswered (self->keepalive, interval_s);
}

/* A request went out: on a stream, its silence beyond the suspicion bound
 * makes the flow suspect. */
void
sipd_flow_request_sent (SipdFlow *self)
{
  if (self->state == SIPD_FLOW_STATE_ACTIVE)
    sipd_keepalive_request_sent (self->keepalive);
}

gboolean
sipd_flow_is_suspect (SipdFlow *self)
{
  return self->state == SIPD_FLOW_STATE_ACTIVE &&
         sipd_keepalive_get_state (self->keepalive) == SIPD_KEEPALIVE_STATE_SUSPECT;
}

SipdKeepalive *
sipd_flow_get_keepalive (SipdFlow *self)
{
  return self->keepalive;
}

void
sipd_flow_stop_keepalive (SipdFlow *self)
{
  sipd_keepalive_stop (self->keepalive);
}

/* A request over the flow went unanswered: a keep-alive now, which must be
 * answered within deadline_ms or the flow fails. FALSE when the flow has no
 * keep-alives (the server may not answer them) and nothing was checked. */
gboolean
sipd_flow_check (SipdFlow *self, gint64 deadline_ms)
{
  if (self->state != SIPD_FLOW_STATE_ACTIVE)
    return FALSE;
  return sipd_keepalive_check (self->keepalive, deadline_ms);
}

/* Checks the flow at once, as after a link change, instead of at the next tick. */
void
sipd_flow_keepalive_now (SipdFlow *self)
{
  if (self->state != SIPD_FLOW_STATE_ACTIVE)
    return;
  sipd_keepalive_now (self->keepalive);
}

void
sipd_flow_receive_datagram (SipdFlow *self, const guint8 *data, gsize length)
{
  g_autoptr (GBytes) message = NULL;
  gsize i;

  if (self->state != SIPD_FLOW_STATE_ACTIVE)
    return;
  if (sipd_stun_is_stun (data, length)) {
    sipd_keepalive_receive_stun (self->keepalive, data, length);
    return;
  }
  for (i = 0; i < length && (data[i] == '\r' || data[i] == '\n'); i++)
    ;
  if (i == length)
    return; /* a CRLF keep-alive from the server */
  message = g_bytes_new (data, length);
  sipd_flow_ref (self);
  self->callbacks.message (self, message, self->user_data);
  sipd_flow_unref (self);
}

/* Properties */

guint
sipd_flow_get_id (SipdFlow *self)
{
  return self->id;
}

/* 1: only its owner, the stack, still holds it */
guint
sipd_flow_get_ref_count (SipdFlow *self)
{
  return (guint) g_atomic_int_get (&self->ref_count);
}

SipdFlowState
sipd_flow_get_state (SipdFlow *self)
{
  return self->state;
}

KlTransport
sipd_flow_get_transport (SipdFlow *self)
{
  return self->transport;
}

GInetSocketAddress *
sipd_flow_get_remote (SipdFlow *self)
{
  return self->remote;
}

GInetSocketAddress *
sipd_flow_get_local (SipdFlow *self)
{
  return self->local;
}

const char *
sipd_flow_get_server_name (SipdFlow *self)
{
  return self->server_name;
}

const char *
sipd_flow_get_failure (SipdFlow *self)
{
  return self->failure;
}

gboolean
sipd_flow_was_closed_by_server (SipdFlow *self)
{
  return self->closed_by_server;
}

gint64
sipd_flow_get_rtt_ms (SipdFlow *self)
{
  return sipd_keepalive_get_rtt_ms (self->keepalive);
}

guint
sipd_flow_get_keepalive_s (SipdFlow *self)
{
  return sipd_keepalive_get_longest_s (self->keepalive);
}

gboolean
sipd_flow_is_stream (SipdFlow *self)
{
  return kl_transport_is_stream (self->transport);
}
