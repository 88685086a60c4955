/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netmond-error.h"

#include "kl-dns-message.h"

static const GDBusErrorEntry netmond_error_entries[] = {
  { NETMOND_ERROR_INVALID_ARGS, "org.keepline.NetMon.Error.InvalidArgs" },
  { NETMOND_ERROR_TOO_MANY, "org.keepline.NetMon.Error.TooMany" },
};

static const GDBusErrorEntry dns_error_entries[] = {
  { KL_DNS_ERROR_MALFORMED, "org.keepline.NetMon.Error.Malformed" },
  { KL_DNS_ERROR_TRUNCATED, "org.keepline.NetMon.Error.Truncated" },
  { KL_DNS_ERROR_SERVER_FAILURE, "org.keepline.NetMon.Error.ServerFailure" },
  { KL_DNS_ERROR_NOT_FOUND, "org.keepline.NetMon.Error.NotFound" },
  { KL_DNS_ERROR_NO_RECORDS, "org.keepline.NetMon.Error.NoRecords" },
  { KL_DNS_ERROR_TIMEOUT, "org.keepline.NetMon.Error.Timeout" },
  { KL_DNS_ERROR_NETWORK, "org.keepline.NetMon.Error.Network" },
};

GQuark
netmond_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("netmond-error-quark", &quark, netmond_error_entries,
                                      G_N_ELEMENTS (netmond_error_entries));
  return (GQuark) quark;
}

/* KL_DNS_ERROR is a plain quark of common/; its D-Bus names are netmond's.
 * KL_DNS_ERROR_INVALID_NAME goes out as NETMOND_ERROR_INVALID_ARGS. */
void
netmond_error_register_dns (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (dns_error_entries); i++)
    g_dbus_error_register_error (KL_DNS_ERROR, dns_error_entries[i].error_code, dns_error_entries[i].dbus_error_name);
}
