/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The failover table of DESIGN.md as the tests see it: its six rows, the ways
 * a server fails, a line's servers in each row, and where the line should be
 * registered and subscribed before a fault and while it lasts. Shared by the
 * unit test of the line (scripted servers, fake clock) and the end-to-end test
 * (Kamailio), so that both walk the same table. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  gboolean outbound;
  gboolean backup_proxy_and_registrar;
  gboolean outbound_proxies; /* the line's flows go to edge proxies */
  gboolean backup_outbound_proxy;
} KlTestRow;

#define KL_TEST_N_ROWS 6
extern const KlTestRow kl_test_rows[KL_TEST_N_ROWS];

typedef enum {
  KL_TEST_FAULT_RESET,       /* a crash whose kernel resets the connections */
  KL_TEST_FAULT_FIN,         /* a crash: the kernel closes with FIN */
  KL_TEST_FAULT_HUNG,        /* nothing answers, handshakes still complete */
  KL_TEST_FAULT_BLACK_HOLE,  /* no packets at all */
  KL_TEST_FAULT_503,         /* REGISTER answered with 503 */
  KL_TEST_FAULT_500,         /* ... with another 5xx */
  KL_TEST_FAULT_408,         /* ... with 408 */
  KL_TEST_FAULT_UDP_TIMEOUT, /* over UDP, a REGISTER that is never answered */
} KlTestFault;
#define KL_TEST_N_FAULTS (KL_TEST_FAULT_UDP_TIMEOUT + 1)

const char *kl_test_fault_name (KlTestFault fault);
gboolean kl_test_fault_is_reply (KlTestFault fault);
/* 503, 500 or 408 for a reply fault */
guint kl_test_fault_status (KlTestFault fault);
/* The UDP timeout is a property of the flow, not of the row: only where the
 * flow goes to the registrar, once per outbound setting. */
gboolean kl_test_fault_applies (const KlTestRow *row, KlTestFault fault);
/* In the rows whose registrar has no backup, its failure answers are no
 * reason to move: the line shows the error and registers again by itself. */
gboolean kl_test_row_fails_over (const KlTestRow *row, KlTestFault fault);

/* The addresses of the primary registrar and proxy, its backup, and the
 * outbound proxies in front of the primary and the backup. */
typedef struct {
  const char *primary;
  const char *backup;
  const char *edge;
  const char *backup_edge;
} KlTestServers;

/* The .cfg lines of a line's servers in the row, over UDP or TCP. */
void kl_test_row_append_servers (GString *config, const KlTestRow *row, const KlTestServers *servers, gboolean udp);

/* Where the line should be: registered with the AOR of the registrar's
 * domain at a registrar, through an edge proxy or none, subscribed there. */
typedef struct {
  gboolean on_backup;
  const char *registrar;
  const char *edge;
  gboolean other_unchecked; /* the other registrar is down, or keeps an old binding until it expires */
} KlTestPlace;

KlTestPlace kl_test_primary_place (const KlTestRow *row, const KlTestServers *servers);
KlTestPlace kl_test_failover_place (const KlTestRow *row, const KlTestServers *servers);

G_END_DECLS
