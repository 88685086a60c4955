/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The server transactions of the stack (RFC 3261 §17.2), private to it. A
 * retransmitted request is answered again with the last response and goes
 * no further. Non-INVITE transactions live for Timer J (32 s).
 *
 * INVITE: the transaction lives until its final response. A non-2xx final
 * response is retransmitted over UDP from T1 up to T2 (Timer G) until the ACK
 * comes, or for Timer H (64·T1); after the ACK, retransmissions are absorbed
 * for Timer I (T4 over UDP). After a 2xx the core retransmits it until its ACK
 * (§13.3.1.4), and the transaction absorbs INVITE retransmissions for 64·T1
 * (RFC 6026 Timer L). Transactions are found by hash; at most 256 are open,
 * 64 on one flow: a request beyond that is dropped (a server resends). */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdServerTxTable SipdServerTxTable;

SipdServerTxTable *sipd_server_tx_table_new (KlClock *clock, const SipdStackTimers *timers);
void sipd_server_tx_table_free (SipdServerTxTable *self);

/* TRUE when the request was a retransmission or the ACK of a non-2xx final
 * response, absorbed here; FALSE when it is new and goes to the core. */
gboolean sipd_server_tx_receive (SipdServerTxTable *self, SipdFlow *flow, SipdMessage *request);
void sipd_server_tx_respond (SipdServerTxTable *self, SipdFlow *flow, SipdMessage *request, GBytes *response);
guint sipd_server_tx_count (SipdServerTxTable *self);

G_END_DECLS
