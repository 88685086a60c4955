/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UDP socket of sipd: bound to the local SIP port (symmetric signalling),
 * shared by every UDP flow, handing each datagram to one receiver. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SipdUdpSocket SipdUdpSocket;
typedef void (*SipdUdpReceiveFunc) (GInetSocketAddress *from,
                                    const guint8 *data,
                                    gsize length,
                                    gpointer user_data);

SipdUdpSocket *sipd_udp_socket_new (GSocketFamily family,
                                    guint16 port,
                                    SipdUdpReceiveFunc receive,
                                    gpointer user_data,
                                    GError **error);
void sipd_udp_socket_free (SipdUdpSocket *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdUdpSocket, sipd_udp_socket_free)

gboolean sipd_udp_socket_send (SipdUdpSocket *self, GInetSocketAddress *to, GBytes *data, GError **error);
GInetSocketAddress *sipd_udp_socket_get_local_address (SipdUdpSocket *self);

G_END_DECLS
