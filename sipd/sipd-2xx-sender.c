/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-2xx-sender.h"

struct _Sipd2xxSender {
  SipdStack *stack;
  Sipd2xxGiveUpFunc give_up;
  gpointer user_data;
  GBytes *response; /* NULL when not sending */
  SipdFlow *flow;
  guint32 cseq;
  KlTimer *timer;
  gint64 interval_ms;
  gint64 give_up_ms; /* 64·T1 after the first send */
};

void
sipd_2xx_sender_stop (Sipd2xxSender *self)
{
  kl_timer_stop (self->timer);
  g_clear_pointer (&self->response, g_bytes_unref);
  g_clear_pointer (&self->flow, sipd_flow_unref);
}

static void
on_due (gpointer user_data)
{
  Sipd2xxSender *self = user_data;
  const SipdStackTimers *timers = sipd_stack_get_timers (self->stack);
  gint64 left_ms = self->give_up_ms - kl_clock_now_ms (sipd_stack_get_clock (self->stack));

  if (left_ms <= 0) {
    sipd_2xx_sender_stop (self);
    self->give_up (self->user_data);
    return;
  }
  sipd_flow_send (self->flow, self->response);
  self->interval_ms = MIN (self->interval_ms * 2, timers->t2_ms);
  kl_timer_start (self->timer, MIN (self->interval_ms, left_ms));
}

void
sipd_2xx_sender_send (Sipd2xxSender *self, SipdFlow *flow, SipdMessage *invite, GBytes *response)
{
  sipd_2xx_sender_stop (self);
  self->response = g_bytes_ref (response);
  self->flow = sipd_flow_ref (flow);
  self->cseq = sipd_message_get_sip (invite)->sip_cseq->cs_seq;
  sipd_stack_respond (self->stack, flow, invite, response);
  self->interval_ms = sipd_stack_get_timers (self->stack)->t1_ms;
  self->give_up_ms = kl_clock_now_ms (sipd_stack_get_clock (self->stack)) + 64 * self->interval_ms;
  kl_timer_start (self->timer, self->interval_ms);
}

gboolean
sipd_2xx_sender_take_ack (Sipd2xxSender *self, SipdMessage *ack)
{
  if (self->response == NULL || sipd_message_get_sip (ack)->sip_cseq->cs_seq != self->cseq)
    return FALSE;
  sipd_2xx_sender_stop (self);
  return TRUE;
}

gboolean
sipd_2xx_sender_is_sending (Sipd2xxSender *self)
{
  return self->response != NULL;
}

Sipd2xxSender *
sipd_2xx_sender_new (SipdStack *stack, Sipd2xxGiveUpFunc give_up, gpointer user_data)
{
  Sipd2xxSender *self = g_new0 (Sipd2xxSender, 1);

  self->stack = stack;
  self->give_up = give_up;
  self->user_data = user_data;
  self->timer = kl_timer_new (sipd_stack_get_clock (stack), on_due, self);
  return self;
}

void
sipd_2xx_sender_free (Sipd2xxSender *self)
{
  sipd_2xx_sender_stop (self);
  kl_timer_free (self->timer);
  g_free (self);
}
