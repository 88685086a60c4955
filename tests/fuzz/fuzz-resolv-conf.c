/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as /etc/resolv.conf. Between one and
 * KL_DNS_CLIENT_MAX_SERVERS nameservers come out, each on port 53. */
#include "kl-dns-client.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GPtrArray) servers = kl_dns_parse_resolv_conf (text);

  g_assert (servers->len >= 1 && servers->len <= KL_DNS_CLIENT_MAX_SERVERS);
  for (guint i = 0; i < servers->len; i++)
    g_assert (g_inet_socket_address_get_port (g_ptr_array_index (servers, i)) == 53);
  return 0;
}
