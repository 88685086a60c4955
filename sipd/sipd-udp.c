/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-udp"

#include "sipd-udp.h"

#include <netinet/in.h>

#define MAX_DATAGRAM 65536

struct _SipdUdpSocket {
  GSocket *socket;
  GSource *source;
  GInetSocketAddress *local;
  SipdUdpReceiveFunc receive;
  gpointer user_data;
};

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SipdUdpSocket *self = user_data;
  guint8 buffer[MAX_DATAGRAM];

  for (;;) {
    g_autoptr (GSocketAddress) from = NULL;
    g_autoptr (GError) error = NULL;
    gssize received = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, &error);

    if (received < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      g_debug ("receive: %s", error->message); /* e.g. an ICMP error of an earlier send */
      continue;
    }
    if (G_IS_INET_SOCKET_ADDRESS (from))
      self->receive (G_INET_SOCKET_ADDRESS (from), buffer, (gsize) received, self->user_data);
  }
  return G_SOURCE_CONTINUE;
}

SipdUdpSocket *
sipd_udp_socket_new (GSocketFamily family,
                     guint16 port,
                     SipdUdpReceiveFunc receive,
                     gpointer user_data,
                     GError **error)
{
  g_autoptr (SipdUdpSocket) self = g_new0 (SipdUdpSocket, 1);
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) bind_address = g_inet_socket_address_new (any, port);
  g_autoptr (GSocketAddress) local = NULL;

  self->receive = receive;
  self->user_data = user_data;
  self->socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (self->socket == NULL)
    return NULL;
  g_socket_set_blocking (self->socket, FALSE);
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (self->socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, NULL);
  if (!g_socket_bind (self->socket, bind_address, FALSE, error))
    return NULL;
  local = g_socket_get_local_address (self->socket, error);
  if (local == NULL)
    return NULL;
  self->local = G_INET_SOCKET_ADDRESS (g_steal_pointer (&local));

  self->source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_set_name (self->source, "sipd-udp");
  g_source_attach (self->source, NULL);
  g_debug ("UDP socket on port %u", g_inet_socket_address_get_port (self->local));
  return g_steal_pointer (&self);
}

void
sipd_udp_socket_free (SipdUdpSocket *self)
{
  if (self->source != NULL) {
    g_source_destroy (self->source);
    g_source_unref (self->source);
  }
  g_clear_object (&self->local);
  g_clear_object (&self->socket);
  g_free (self);
}

gboolean
sipd_udp_socket_send (SipdUdpSocket *self, GInetSocketAddress *to, GBytes *data, GError **error)
{
  gsize length;
  const char *bytes = g_bytes_get_data (data, &length);

  return g_socket_send_to (self->socket, G_SOCKET_ADDRESS (to), bytes, length, NULL, error) >= 0;
}

GInetSocketAddress *
sipd_udp_socket_get_local_address (SipdUdpSocket *self)
{
  return self->local;
}
