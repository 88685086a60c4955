/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-flow"

#include "sipd-flow.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "kl-log.h"
#include "sipd-framer.h"
#include "sipd-keepalive.h"
#include "sipd-stun.h"

/* Read in pieces of a page: the buffer is on the stack, and every page that a
 * read and the calls below it ever touch stays resident for the daemon's
 * lifetime. A longer message or TLS record is read in several pieces. */
#define READ_CHUNK 4096
#define TLS_RECORD_MAX 16384

struct _SipdFlow {
  gint ref_count;
  guint id;
  KlClock *clock;
  SipdFlowCallbacks callbacks;
  gpointer user_data;

  KlTransport transport;
  GInetSocketAddress *remote;
  GInetSocketAddress *local;
  char *server_name;
  char *label; /* "tcp 127.0.0.1:40000 -> 127.0.0.2:5060" for logs */
  guint16 local_port;
  SipdTls *tls;
  SipdUdpSocket *udp;
  gint64 connect_timeout_ms;

  SipdFlowState state;
  char *failure;
  GSource *start_failure; /* reports a failure of sipd_flow_start() from the main loop */

  GSocket *socket;
  GSource *read_source;
  GSource *write_source;
  gnutls_session_t session;
  gboolean handshaking;
  GByteArray *output;
  gsize tls_pending; /* size of a TLS record gnutls asked to be sent again */
  SipdFramer *framer;

  KlTimer *connect_timer;
  SipdKeepalive *keepalive;
};

static guint next_flow_id = 1;

static void set_failed (SipdFlow *self, const char *reason);
static void flush_output (SipdFlow *self);
static void watch_writable (SipdFlow *self);

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

G_GNUC_PRINTF (3, 4)
static void
flow_log (SipdFlow *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("flow %u (%s)", self->id, self->label);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "FLOW", self->id, prefix, format, args);
  va_end (args);
}

static void
update_label (SipdFlow *self)
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
  update_label (self);
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

static void
set_active (SipdFlow *self)
{
  kl_timer_stop (self->connect_timer);
  self->state = SIPD_FLOW_STATE_ACTIVE;
  flow_log (self, G_LOG_LEVEL_INFO, "connecting -> active");
  sipd_flow_ref (self);
  emit_state_changed (self);
  if (self->state == SIPD_FLOW_STATE_ACTIVE)
    flush_output (self); /* what was queued while connecting */
  sipd_flow_unref (self);
}

static void
set_failed (SipdFlow *self, const char *reason)
{
  if (self->state == SIPD_FLOW_STATE_FAILED || self->state == SIPD_FLOW_STATE_CLOSED)
    return;
  flow_log (self, G_LOG_LEVEL_MESSAGE, "%s -> failed (%s)", sipd_flow_state_to_string (self->state),
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
sipd_flow_fail (SipdFlow *self, const char *reason)
{
  set_failed (self, reason);
}

static gboolean
on_start_failure (gpointer user_data)
{
  SipdFlow *self = user_data;
  g_autofree char *reason = g_strdup (self->failure);

  g_clear_pointer (&self->start_failure, g_source_unref);
  set_failed (self, reason);
  return G_SOURCE_REMOVE;
}

/* Whoever started the flow holds it and watches it only once
 * sipd_flow_start() has returned: a failure at once is told a moment later. */
static void
fail_soon (SipdFlow *self, const char *reason)
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
  flow_log (self, G_LOG_LEVEL_INFO, "%s -> closed", sipd_flow_state_to_string (self->state));
  if (self->session != NULL && !self->handshaking)
    gnutls_bye (self->session, GNUTLS_SHUT_WR); /* best effort, non-blocking */
  self->state = SIPD_FLOW_STATE_CLOSED;
  teardown (self);
}

static void
on_connect_timeout (gpointer user_data)
{
  SipdFlow *self = user_data;

  set_failed (self, self->handshaking ? "TLS handshake timed out" : "connect timed out");
}

/* Reading */

static void
deliver_frames (SipdFlow *self)
{
  for (;;) {
    g_autoptr (GBytes) message = NULL;
    g_autofree char *reason = NULL;
    static const guint8 pong[] = "\r\n";

    if (self->state != SIPD_FLOW_STATE_ACTIVE)
      return;
    switch (sipd_framer_next (self->framer, &message, &reason)) {
    case SIPD_FRAME_NEED_MORE:
      return;
    case SIPD_FRAME_MESSAGE:
      sipd_keepalive_heard (self->keepalive);
      self->callbacks.message (self, message, self->user_data);
      break;
    case SIPD_FRAME_PONG:
      sipd_keepalive_pong (self->keepalive);
      break;
    case SIPD_FRAME_PING:
      /* the server's own ping, or the two pongs of a suspect flow's two
       * pings read at once: either way the server is alive */
      g_byte_array_append (self->output, pong, 2);
      flush_output (self);
      if (self->state == SIPD_FLOW_STATE_ACTIVE)
        sipd_keepalive_pong (self->keepalive);
      break;
    case SIPD_FRAME_ERROR: {
      g_autofree char *why = g_strdup_printf ("the stream cannot be framed: %s", reason);
      set_failed (self, why);
      return;
    }
    }
  }
}

/* Frames what came as it comes, so that a fast sender cannot make the
 * framer hold more than its cap. FALSE when the flow failed. */
static gboolean
push_and_deliver (SipdFlow *self, const guint8 *data, gsize length)
{
  if (!sipd_framer_push (self->framer, data, length)) {
    g_autoptr (GBytes) none = NULL;
    g_autofree char *reason = NULL;
    g_autofree char *why = NULL;

    sipd_framer_next (self->framer, &none, &reason);
    why = g_strdup_printf ("the stream cannot be framed: %s", reason);
    set_failed (self, why);
    return FALSE;
  }
  deliver_frames (self);
  return self->state == SIPD_FLOW_STATE_ACTIVE;
}

static const char *
describe_errno (int error)
{
  switch (error) {
  case ECONNRESET:
    return "connection reset by the server";
  case ECONNREFUSED:
    return "connection refused";
  case EHOSTUNREACH:
  case ENETUNREACH:
    return "no route to the server";
  case ETIMEDOUT:
    return "connection timed out";
  case EPIPE:
    return "connection closed by the server";
  default:
    return NULL;
  }
}

static void
fail_with_errno (SipdFlow *self, int error, const char *what)
{
  const char *description = describe_errno (error);
  g_autofree char *reason = NULL;

  if (description == NULL)
    reason = g_strdup_printf ("%s: %s", what, g_strerror (error));
  set_failed (self, description ? description : reason);
}

/* Returns FALSE when the flow failed. */
static gboolean
read_tcp (SipdFlow *self)
{
  guint8 buffer[READ_CHUNK];

  for (;;) {
    g_autoptr (GError) error = NULL;
    gssize got = g_socket_receive (self->socket, (char *) buffer, sizeof buffer, NULL, &error);

    if (got > 0) {
      if (!push_and_deliver (self, buffer, (gsize) got))
        return FALSE;
      continue;
    }
    if (got == 0) {
      set_failed (self, "connection closed by the server");
      return FALSE;
    }
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      return TRUE;
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
      set_failed (self, "connection reset by the server");
    else
      set_failed (self, error->message);
    return FALSE;
  }
}

static gboolean
read_tls (SipdFlow *self)
{
  guint8 buffer[READ_CHUNK];

  for (;;) {
    ssize_t got = gnutls_record_recv (self->session, buffer, sizeof buffer);

    if (got > 0) {
      if (!push_and_deliver (self, buffer, (gsize) got))
        return FALSE;
      continue;
    }
    if (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED)
      return TRUE;
    if (got == 0 || got == GNUTLS_E_PREMATURE_TERMINATION) {
      set_failed (self, "connection closed by the server");
    } else if (got == GNUTLS_E_PULL_ERROR) {
      fail_with_errno (self, errno, "TLS receive");
    } else if (got == GNUTLS_E_WARNING_ALERT_RECEIVED) {
      flow_log (self, G_LOG_LEVEL_INFO, "TLS warning alert: %s",
                gnutls_alert_get_name (gnutls_alert_get (self->session)));
      continue;
    } else if (gnutls_error_is_fatal ((int) got)) {
      g_autofree char *reason = sipd_tls_describe_failure (self->session, (int) got);
      set_failed (self, reason);
    } else {
      continue; /* a non-fatal notice such as a rehandshake request, which we ignore */
    }
    return FALSE;
  }
}

static void handshake_step (SipdFlow *self);

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SipdFlow *self = user_data;
  gboolean ok;

  sipd_flow_ref (self);
  if (self->handshaking)
    handshake_step (self);
  else {
    ok = self->session != NULL ? read_tls (self) : read_tcp (self);
    if (ok)
      deliver_frames (self);
  }
  sipd_flow_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
watch_readable (SipdFlow *self)
{
  if (self->read_source != NULL)
    return;
  self->read_source = g_socket_create_source (self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_set_name (self->read_source, "sipd-flow-read");
  g_source_attach (self->read_source, NULL);
}

/* Writing */

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SipdFlow *self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->write_source, g_source_unref);
  sipd_flow_ref (self);
  if (self->state == SIPD_FLOW_STATE_CONNECTING && !self->handshaking && self->session == NULL &&
      self->transport != KL_TRANSPORT_UDP) {
    /* the non-blocking connect finished */
    if (!g_socket_check_connect_result (socket, &error)) {
      if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CONNECTION_REFUSED)
        set_failed (self, "connection refused");
      else
        set_failed (self, error->message);
    } else {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
      g_clear_object (&self->local);
      self->local = local ? G_INET_SOCKET_ADDRESS (g_steal_pointer (&local)) : NULL;
      update_label (self);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      watch_readable (self);
      if (self->transport == KL_TRANSPORT_TLS)
        handshake_step (self);
      else
        set_active (self);
    }
  } else if (self->handshaking) {
    handshake_step (self);
  } else {
    flush_output (self);
  }
  sipd_flow_unref (self);
  return G_SOURCE_REMOVE;
}

static void
watch_writable (SipdFlow *self)
{
  if (self->write_source != NULL || self->socket == NULL)
    return;
  self->write_source = g_socket_create_source (self->socket, G_IO_OUT | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_writable), self, NULL);
  g_source_set_name (self->write_source, "sipd-flow-write");
  g_source_attach (self->write_source, NULL);
}

static void
flush_tcp (SipdFlow *self)
{
  while (self->output->len > 0) {
    g_autoptr (GError) error = NULL;
    gssize sent = g_socket_send (self->socket, (const char *) self->output->data, self->output->len,
                                 NULL, &error);
    if (sent < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        watch_writable (self);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        set_failed (self, "connection reset by the server");
      else
        set_failed (self, error->message);
      return;
    }
    g_byte_array_remove_range (self->output, 0, (guint) sent);
  }
}

static void
flush_tls (SipdFlow *self)
{
  while (self->output->len > 0) {
    gsize chunk = self->tls_pending ? self->tls_pending : MIN (self->output->len, TLS_RECORD_MAX);
    ssize_t sent = gnutls_record_send (self->session, self->output->data, chunk);

    if (sent == GNUTLS_E_AGAIN || sent == GNUTLS_E_INTERRUPTED) {
      self->tls_pending = chunk; /* gnutls wants the same record again */
      watch_writable (self);
      return;
    }
    if (sent < 0) {
      if (sent == GNUTLS_E_PUSH_ERROR)
        fail_with_errno (self, errno, "TLS send");
      else {
        g_autofree char *reason = sipd_tls_describe_failure (self->session, (int) sent);
        set_failed (self, reason);
      }
      return;
    }
    self->tls_pending = 0;
    g_byte_array_remove_range (self->output, 0, (guint) sent);
  }
}

static void
flush_output (SipdFlow *self)
{
  if (self->state != SIPD_FLOW_STATE_ACTIVE || self->socket == NULL)
    return;
  if (self->session != NULL)
    flush_tls (self);
  else
    flush_tcp (self);
}

gboolean
sipd_flow_send (SipdFlow *self, GBytes *data)
{
  gsize length;
  const guint8 *bytes = g_bytes_get_data (data, &length);

  switch (self->state) {
  case SIPD_FLOW_STATE_FAILED:
  case SIPD_FLOW_STATE_CLOSED:
    return FALSE;
  case SIPD_FLOW_STATE_CONNECTING:
  case SIPD_FLOW_STATE_ACTIVE:
    break;
  }

  if (self->transport == KL_TRANSPORT_UDP) {
    g_autoptr (GError) error = NULL;
    if (!sipd_udp_socket_send (self->udp, self->remote, data, &error)) {
      /* A refused datagram says nothing reliable; the transaction timer decides. */
      flow_log (self, G_LOG_LEVEL_DEBUG, "send: %s", error->message);
    }
    return TRUE;
  }
  g_byte_array_append (self->output, bytes, (guint) length);
  flush_output (self);
  return self->state != SIPD_FLOW_STATE_FAILED;
}

/* Connecting */

static void
handshake_step (SipdFlow *self)
{
  int result;

  if (self->session == NULL) {
    g_autoptr (GError) error = NULL;
    self->session = sipd_tls_session_new (self->tls, self->server_name, g_socket_get_fd (self->socket),
                                          &error);
    if (self->session == NULL) {
      set_failed (self, error->message);
      return;
    }
    self->handshaking = TRUE;
  }

  result = gnutls_handshake (self->session);
  if (result == GNUTLS_E_AGAIN || result == GNUTLS_E_INTERRUPTED) {
    if (gnutls_record_get_direction (self->session) == 1)
      watch_writable (self);
    return; /* the read source calls again for direction 0 */
  }
  if (result < 0) {
    g_autofree char *reason = NULL;
    if (result == GNUTLS_E_PULL_ERROR || result == GNUTLS_E_PUSH_ERROR) {
      fail_with_errno (self, errno, "TLS handshake");
      return;
    }
    if (result == GNUTLS_E_PREMATURE_TERMINATION) {
      set_failed (self, "connection closed by the server during the TLS handshake");
      return;
    }
    if (!gnutls_error_is_fatal (result))
      return;
    reason = sipd_tls_describe_failure (self->session, result);
    set_failed (self, reason);
    return;
  }

  self->handshaking = FALSE;
  sipd_tls_session_save (self->tls, self->server_name, self->session);
  flow_log (self, G_LOG_LEVEL_DEBUG, "TLS %s, %s%s",
            gnutls_protocol_get_name (gnutls_protocol_get_version (self->session)),
            gnutls_cipher_get_name (gnutls_cipher_get (self->session)),
            gnutls_session_is_resumed (self->session) ? ", resumed" : "");
  set_active (self);
}

static gboolean
bind_local_port (SipdFlow *self, GSocketFamily family, GError **error)
{
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (any, self->local_port);

  /* reuse: a reconnect from the same port must not wait for TIME_WAIT */
  return g_socket_bind (self->socket, local, TRUE, error);
}

void
sipd_flow_start (SipdFlow *self)
{
  g_autoptr (GError) error = NULL;
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (self->remote));

  g_return_if_fail (self->state == SIPD_FLOW_STATE_CONNECTING && self->socket == NULL);

  if (self->transport == KL_TRANSPORT_UDP) {
    set_active (self);
    return;
  }

  self->socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (self->socket == NULL) {
    fail_soon (self, error->message);
    return;
  }
  g_socket_set_blocking (self->socket, FALSE);
  if (self->local_port != 0 && !bind_local_port (self, family, &error)) {
    fail_soon (self, error->message);
    return;
  }
  kl_timer_start (self->connect_timer, self->connect_timeout_ms);
  if (g_socket_connect (self->socket, G_SOCKET_ADDRESS (self->remote), NULL, &error)) {
    watch_writable (self); /* connected at once: on_writable finishes the job */
    return;
  }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
    fail_soon (self, error->message);
    return;
  }
  flow_log (self, G_LOG_LEVEL_DEBUG, "connecting");
  watch_writable (self);
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
      flow_log (self, G_LOG_LEVEL_DEBUG, "STUN send: %s", error->message);
    return;
  }
  g_byte_array_append (self->output, bytes, (guint) length);
  flush_output (self);
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
  set_failed (user_data, reason);
}

static void
on_keepalive_suspect (const char *reason, gpointer user_data)
{
  SipdFlow *self = user_data;

  if (self->callbacks.suspect != NULL)
    self->callbacks.suspect (self, reason, self->user_data);
}

/* The kernel resends what the server has not acknowledged (TCP_INFO):
 * a sign that the server's host, or the way to it, is gone. */
static gboolean
on_keepalive_stalled (gpointer user_data)
{
  SipdFlow *self = user_data;
  struct tcp_info info;
  socklen_t length = sizeof info;

  if (self->socket == NULL || self->transport == KL_TRANSPORT_UDP)
    return FALSE;
  memset (&info, 0, sizeof info);
  if (getsockopt (g_socket_get_fd (self->socket), IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
    return FALSE;
  return info.tcpi_unacked > 0 && (info.tcpi_retransmits > 0 || info.tcpi_backoff > 0);
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

gint64
sipd_flow_get_rtt_ms (SipdFlow *self)
{
  return sipd_keepalive_get_rtt_ms (self->keepalive);
}

gboolean
sipd_flow_is_stream (SipdFlow *self)
{
  return kl_transport_is_stream (self->transport);
}
