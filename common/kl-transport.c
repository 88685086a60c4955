/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-transport.h"

const char *
kl_transport_to_string (KlTransport transport)
{
  switch (transport) {
  case KL_TRANSPORT_UDP:
    return "udp";
  case KL_TRANSPORT_TCP:
    return "tcp";
  case KL_TRANSPORT_TLS:
    return "tls";
  }
  g_return_val_if_reached ("udp");
}

gboolean
kl_transport_from_string (const char *text, KlTransport *ret_transport)
{
  for (KlTransport t = KL_TRANSPORT_UDP; t <= KL_TRANSPORT_TLS; t++) {
    if (g_strcmp0 (text, kl_transport_to_string (t)) == 0) {
      *ret_transport = t;
      return TRUE;
    }
  }
  return FALSE;
}

guint16
kl_transport_default_port (KlTransport transport)
{
  return transport == KL_TRANSPORT_TLS ? 5061 : 5060;
}

gboolean
kl_transport_is_stream (KlTransport transport)
{
  return transport != KL_TRANSPORT_UDP;
}
