/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-failover.h"

const KlTestRow kl_test_rows[KL_TEST_N_ROWS] = {
  { "outbound-off/backup-proxy-and-registrar", FALSE, TRUE, FALSE, FALSE },
  { "outbound-off/backup-proxy-registrar-and-outbound-proxy", FALSE, TRUE, TRUE, TRUE },
  { "outbound-off/backup-outbound-proxy-only", FALSE, FALSE, TRUE, TRUE },
  { "outbound-on/backup-proxy-and-registrar", TRUE, TRUE, FALSE, FALSE },
  { "outbound-on/backup-proxy-registrar-and-outbound-proxy", TRUE, TRUE, TRUE, TRUE },
  { "outbound-on/backup-outbound-proxy-only", TRUE, FALSE, TRUE, TRUE },
};

const char *
kl_test_fault_name (KlTestFault fault)
{
  switch (fault) {
  case KL_TEST_FAULT_RESET:
    return "reset";
  case KL_TEST_FAULT_FIN:
    return "crash-with-fin";
  case KL_TEST_FAULT_HUNG:
    return "hung";
  case KL_TEST_FAULT_BLACK_HOLE:
    return "black-hole";
  case KL_TEST_FAULT_503:
    return "register-503";
  case KL_TEST_FAULT_500:
    return "register-500";
  case KL_TEST_FAULT_408:
    return "register-408";
  case KL_TEST_FAULT_UDP_TIMEOUT:
    return "udp-transaction-timeout";
  }
  g_return_val_if_reached ("?");
}

gboolean
kl_test_fault_is_reply (KlTestFault fault)
{
  return kl_test_fault_status (fault) != 0;
}

guint
kl_test_fault_status (KlTestFault fault)
{
  return fault == KL_TEST_FAULT_503 ? 503 : fault == KL_TEST_FAULT_500 ? 500 : fault == KL_TEST_FAULT_408 ? 408 : 0;
}

gboolean
kl_test_fault_applies (const KlTestRow *row, KlTestFault fault)
{
  return fault != KL_TEST_FAULT_UDP_TIMEOUT || (row->backup_proxy_and_registrar && !row->outbound_proxies);
}

gboolean
kl_test_row_fails_over (const KlTestRow *row, KlTestFault fault)
{
  return !kl_test_fault_is_reply (fault) || row->backup_proxy_and_registrar;
}

void
kl_test_row_append_servers (GString *config, const KlTestRow *row, const KlTestServers *servers, gboolean udp)
{
  g_string_append_printf (config,
                          "sip outbound support: %d\n"
                          "sip transport protocol: %d\n"
                          "sip proxy ip: %s\n"
                          "sip proxy port: 5060\n",
                          row->outbound, udp ? 1 : 2, servers->primary);
  if (row->outbound_proxies)
    g_string_append_printf (config, "sip outbound proxy: %s\nsip outbound proxy port: 5060\n", servers->edge);
  if (row->backup_proxy_and_registrar)
    g_string_append_printf (config,
                            "sip backup proxy ip: %s\n"
                            "sip backup proxy port: 5060\n"
                            "sip backup registrar ip: %s\n"
                            "sip backup registrar port: 5060\n",
                            servers->backup, servers->backup);
  if (row->backup_outbound_proxy)
    g_string_append_printf (config, "sip backup outbound proxy: %s\nsip backup outbound proxy port: 5060\n",
                            servers->backup_edge);
}

KlTestPlace
kl_test_primary_place (const KlTestRow *row, const KlTestServers *servers)
{
  return (KlTestPlace) { FALSE, servers->primary, row->outbound_proxies ? servers->edge : NULL, FALSE };
}

/* With a backup registrar the line moves there (through the backup edge
 * proxy where there is one) and the primary cannot be asked; with a backup
 * outbound proxy only, it stays at the primary registrar through it. */
KlTestPlace
kl_test_failover_place (const KlTestRow *row, const KlTestServers *servers)
{
  if (row->backup_proxy_and_registrar)
    return (KlTestPlace) { TRUE, servers->backup, row->backup_outbound_proxy ? servers->backup_edge : NULL, TRUE };
  return (KlTestPlace) { TRUE, servers->primary, servers->backup_edge, FALSE };
}
