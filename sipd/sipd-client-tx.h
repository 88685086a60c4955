/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client transactions of the stack (RFC 3261 §17.1), private to it.
 *
 * Non-INVITE (§17.1.2): retransmitted over UDP from T1 up to T2; a REGISTER
 * that gets no final answer within the transaction timer fails its flow
 * (RFC 5626 §4.4: the registrar is the one that keeps the flow); any other
 * request ends after Timer F (64·T1) with "timeout", and the flow stays.
 *
 * INVITE (§17.1.1, with RFC 6026): retransmitted over UDP from T1, doubling,
 * until a provisional answer; Timer B (64·T1) without any answer. Every
 * provisional answer is reported. A non-2xx final answer is acknowledged by
 * the transaction, which then absorbs its retransmissions for Timer D. The
 * first 2xx and, for Timer M (64·T1), every later 2xx (retransmissions, other
 * forks) are reported: the core acknowledges them. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdClientTxTable SipdClientTxTable;

SipdClientTxTable *sipd_client_tx_table_new (SipdStack *stack, KlClock *clock, const SipdStackTimers *timers);
void sipd_client_tx_table_free (SipdClientTxTable *self);

guint sipd_client_tx_send (SipdClientTxTable *self,
                           SipdFlow *flow,
                           const char *method,
                           const char *branch,
                           GBytes *request,
                           SipdResponseFunc func,
                           gpointer user_data);
void sipd_client_tx_cancel (SipdClientTxTable *self, guint id);
void sipd_client_tx_receive (SipdClientTxTable *self, SipdFlow *flow, SipdMessage *response);
void sipd_client_tx_fail_flow (SipdClientTxTable *self, SipdFlow *flow);
gboolean sipd_client_tx_has_branch (SipdClientTxTable *self, const char *branch);

G_END_DECLS
