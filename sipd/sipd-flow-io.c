/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-flow"

#include "sipd-flow-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* Read in pieces of a page: the buffer is on the stack, and every page that a
 * read and the calls below it ever touch stays resident for the daemon's
 * lifetime. A longer message or TLS record is read in several pieces. */
#define READ_CHUNK 4096
#define TLS_RECORD_MAX 16384

static void watch_writable (SipdFlow *self);

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
      sipd_flow_flush_output (self);
      if (self->state == SIPD_FLOW_STATE_ACTIVE)
        sipd_keepalive_pong (self->keepalive);
      break;
    case SIPD_FRAME_ERROR: {
      g_autofree char *why = g_strdup_printf ("the stream cannot be framed: %s", reason);
      sipd_flow_set_failed (self, why);
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
    sipd_flow_set_failed (self, why);
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
  sipd_flow_set_failed (self, description ? description : reason);
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
      sipd_flow_set_closed_by_server (self);
      return FALSE;
    }
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      return TRUE;
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
      sipd_flow_set_failed (self, "connection reset by the server");
    else
      sipd_flow_set_failed (self, error->message);
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
      sipd_flow_set_closed_by_server (self);
    } else if (got == GNUTLS_E_PULL_ERROR) {
      fail_with_errno (self, errno, "TLS receive");
    } else if (got == GNUTLS_E_WARNING_ALERT_RECEIVED) {
      sipd_flow_log (self, G_LOG_LEVEL_INFO, "TLS warning alert: %s",
                gnutls_alert_get_name (gnutls_alert_get (self->session)));
      continue;
    } else if (gnutls_error_is_fatal ((int) got)) {
      g_autofree char *reason = sipd_tls_describe_failure (self->session, (int) got);
      sipd_flow_set_failed (self, reason);
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
        sipd_flow_set_failed (self, "connection refused");
      else
        sipd_flow_set_failed (self, error->message);
    } else {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
      g_clear_object (&self->local);
      self->local = local ? G_INET_SOCKET_ADDRESS (g_steal_pointer (&local)) : NULL;
      sipd_flow_update_label (self);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      watch_readable (self);
      if (self->transport == KL_TRANSPORT_TLS)
        handshake_step (self);
      else
        sipd_flow_set_active (self);
    }
  } else if (self->handshaking) {
    handshake_step (self);
  } else {
    sipd_flow_flush_output (self);
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
        sipd_flow_set_failed (self, "connection reset by the server");
      else
        sipd_flow_set_failed (self, error->message);
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
        sipd_flow_set_failed (self, reason);
      }
      return;
    }
    self->tls_pending = 0;
    g_byte_array_remove_range (self->output, 0, (guint) sent);
  }
}

void
sipd_flow_flush_output (SipdFlow *self)
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
      sipd_flow_log (self, G_LOG_LEVEL_DEBUG, "send: %s", error->message);
    }
    return TRUE;
  }
  g_byte_array_append (self->output, bytes, (guint) length);
  sipd_flow_flush_output (self);
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
      sipd_flow_set_failed (self, error->message);
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
      sipd_flow_set_failed (self, "connection closed by the server during the TLS handshake");
      return;
    }
    if (!gnutls_error_is_fatal (result))
      return;
    reason = sipd_tls_describe_failure (self->session, result);
    sipd_flow_set_failed (self, reason);
    return;
  }

  self->handshaking = FALSE;
  sipd_tls_session_save (self->tls, self->server_name, self->session);
  sipd_flow_log (self, G_LOG_LEVEL_DEBUG, "TLS %s, %s%s",
            gnutls_protocol_get_name (gnutls_protocol_get_version (self->session)),
            gnutls_cipher_get_name (gnutls_cipher_get (self->session)),
            gnutls_session_is_resumed (self->session) ? ", resumed" : "");
  sipd_flow_set_active (self);
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
    sipd_flow_set_active (self);
    return;
  }

  self->socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (self->socket == NULL) {
    sipd_flow_fail_soon (self, error->message);
    return;
  }
  g_socket_set_blocking (self->socket, FALSE);
  if (self->local_port != 0 && !bind_local_port (self, family, &error)) {
    sipd_flow_fail_soon (self, error->message);
    return;
  }
  kl_timer_start (self->connect_timer, self->connect_timeout_ms);
  if (g_socket_connect (self->socket, G_SOCKET_ADDRESS (self->remote), NULL, &error)) {
    watch_writable (self); /* connected at once: on_writable finishes the job */
    return;
  }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
    sipd_flow_fail_soon (self, error->message);
    return;
  }
  sipd_flow_log (self, G_LOG_LEVEL_DEBUG, "connecting");
  watch_writable (self);
}
