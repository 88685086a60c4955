/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 2xx to an INVITE, sent by the UAS core until its ACK comes (RFC 3261
 * §13.3.1.4): again after T1, doubling up to T2; after 64·T1 without an ACK
 * the sender gives up and says so. One 2xx at a time. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _Sipd2xxSender Sipd2xxSender;
typedef void (*Sipd2xxGiveUpFunc) (gpointer user_data);

Sipd2xxSender *sipd_2xx_sender_new (SipdStack *stack, Sipd2xxGiveUpFunc give_up, gpointer user_data);
void sipd_2xx_sender_free (Sipd2xxSender *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sipd2xxSender, sipd_2xx_sender_free)

/* Sends the 2xx to the INVITE now, through its server transaction, and again
 * until sipd_2xx_sender_take_ack() sees the ACK of that CSeq. */
void sipd_2xx_sender_send (Sipd2xxSender *self, SipdFlow *flow, SipdMessage *invite, GBytes *response);
/* TRUE when the ACK is the one awaited: sending stops. */
gboolean sipd_2xx_sender_take_ack (Sipd2xxSender *self, SipdMessage *ack);
void sipd_2xx_sender_stop (Sipd2xxSender *self);
gboolean sipd_2xx_sender_is_sending (Sipd2xxSender *self);

G_END_DECLS
