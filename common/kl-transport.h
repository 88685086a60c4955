/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SIP transports, one enum for the whole project: what a line is
 * configured with, what a flow runs over, what a server is resolved for
 * (RFC 3263) and what D-Bus says ("udp", "tcp", "tls"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  KL_TRANSPORT_UDP,
  KL_TRANSPORT_TCP,
  KL_TRANSPORT_TLS,
} KlTransport;

const char *kl_transport_to_string (KlTransport transport);
gboolean kl_transport_from_string (const char *text, KlTransport *ret_transport);
guint16 kl_transport_default_port (KlTransport transport);
gboolean kl_transport_is_stream (KlTransport transport);

G_END_DECLS
