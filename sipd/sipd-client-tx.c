/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-stack"

#include "sipd-client-tx.h"

#include <string.h>

#define TIMER_D_UDP_MS 32000 /* RFC 3261 §17.1.1.2: at least 32 s over UDP, 0 over streams */

typedef enum {
  TX_TRYING,     /* sent, no answer yet (INVITE: "calling") */
  TX_PROCEEDING, /* a provisional answer came */
  TX_COMPLETED,  /* INVITE: a non-2xx final answer came and was acknowledged */
  TX_ACCEPTED,   /* INVITE: a 2xx came; later 2xx still go to the core (RFC 6026) */
} TxState;

typedef struct {
  SipdClientTxTable *table;
  guint id;
  SipdFlow *flow;
  char *method;
  char *branch;
  GBytes *request;
  SipdMessage *invite; /* INVITE only: parsed, to build the ACK of a non-2xx */
  GBytes *ack;         /* INVITE only: the ACK sent, sent again for a retransmitted final */
  TxState state;
  SipdResponseFunc func;
  gpointer user_data;
  KlTimer *retransmit_timer;
  KlTimer *timeout_timer; /* F, B, D or M, by state */
  gint64 interval_ms;
  gboolean reporting;     /* inside func: a cancel then only marks it */
  gboolean cancelled;
} ClientTx;

struct _SipdClientTxTable {
  SipdStack *stack;
  KlClock *clock;
  const SipdStackTimers *timers;
  GHashTable *transactions; /* id → ClientTx */
  guint next_id;
};

static gboolean
is_invite (ClientTx *tx)
{
  return tx->invite != NULL;
}

static void
client_tx_free (ClientTx *tx)
{
  kl_timer_free (tx->retransmit_timer);
  kl_timer_free (tx->timeout_timer);
  sipd_flow_unref (tx->flow);
  g_bytes_unref (tx->request);
  g_clear_pointer (&tx->invite, sipd_message_unref);
  g_clear_pointer (&tx->ack, g_bytes_unref);
  g_free (tx->method);
  g_free (tx->branch);
  g_free (tx);
}

/* Calls the owner with the transaction still in the table; the owner may
 * cancel it, or anything else, meanwhile. FALSE when it was cancelled. */
static gboolean
report (ClientTx *tx, SipdMessage *response, const char *failure)
{
  tx->reporting = TRUE;
  tx->func (tx->table->stack, response, failure, tx->user_data);
  tx->reporting = FALSE;
  if (tx->cancelled) {
    client_tx_free (tx);
    return FALSE;
  }
  return TRUE;
}

/* Removes the transaction before its last report, so the owner may send new
 * requests or cancel others freely. */
static void
finish (ClientTx *tx, SipdMessage *response, const char *failure)
{
  g_hash_table_steal (tx->table->transactions, GUINT_TO_POINTER (tx->id));
  tx->func (tx->table->stack, response, failure, tx->user_data);
  client_tx_free (tx);
}

static void
end_quietly (ClientTx *tx)
{
  g_hash_table_remove (tx->table->transactions, GUINT_TO_POINTER (tx->id));
}

static void
on_retransmit (gpointer user_data)
{
  ClientTx *tx = user_data;

  sipd_flow_send (tx->flow, tx->request);
  tx->interval_ms = is_invite (tx) ? tx->interval_ms * 2 : MIN (tx->interval_ms * 2, tx->table->timers->t2_ms);
  kl_timer_start (tx->retransmit_timer, tx->interval_ms);
}

static gboolean
flow_is_gone (SipdFlow *flow)
{
  return sipd_flow_get_state (flow) == SIPD_FLOW_STATE_FAILED || sipd_flow_get_state (flow) == SIPD_FLOW_STATE_CLOSED;
}

static void
on_timeout (gpointer user_data)
{
  ClientTx *tx = user_data;
  g_autofree char *reason = NULL;

  if (tx->state == TX_COMPLETED || tx->state == TX_ACCEPTED) {
    end_quietly (tx); /* Timer D or M: nothing more to absorb */
    return;
  }
  if (flow_is_gone (tx->flow)) {
    reason = g_strdup_printf ("flow failed: %s", sipd_flow_get_failure (tx->flow) ? sipd_flow_get_failure (tx->flow)
                                                                                 : "closed");
    finish (tx, NULL, reason);
    return;
  }
  if (strcmp (tx->method, "REGISTER") == 0) {
    /* RFC 5626 §4.4: the registrar keeps the flow; silence from it fails the
     * flow, and with it every transaction on it */
    reason = g_strdup_printf ("no answer to REGISTER within %" G_GINT64_FORMAT " ms", tx->table->timers->transaction_ms);
    sipd_flow_fail (tx->flow, reason);
    return;
  }
  reason = g_strdup_printf ("timeout: no answer to %s within %" G_GINT64_FORMAT " ms", tx->method,
                            64 * tx->table->timers->t1_ms);
  finish (tx, NULL, reason);
}

/* §17.1.1.3: the ACK of a non-2xx answer is part of the INVITE transaction:
 * the INVITE's Request-URI, top Via, From, Call-ID and Route, the answer's To. */
static GBytes *
build_ack (ClientTx *tx, SipdMessage *response)
{
  sip_t *invite = sipd_message_get_sip (tx->invite);
  g_autofree char *uri = sipd_message_print_uri (tx->invite, invite->sip_request->rq_url);
  g_autofree char *via = sipd_message_print_header (tx->invite, invite->sip_via);
  g_autofree char *from = sipd_message_print_header (tx->invite, invite->sip_from);
  g_autofree char *to = sipd_message_print_header (response, sipd_message_get_sip (response)->sip_to);
  SipdBuilder *builder = sipd_builder_new_request ("ACK", uri);

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "%s", from);
  sipd_builder_add (builder, "To", "%s", to);
  sipd_builder_add (builder, "Call-ID", "%s", sipd_message_get_call_id (tx->invite));
  sipd_builder_add (builder, "CSeq", "%u ACK", (guint) invite->sip_cseq->cs_seq);
  for (const sip_route_t *route = invite->sip_route; route != NULL; route = route->r_next) {
    g_autofree char *text = sipd_message_print_header (tx->invite, route);
    sipd_builder_add (builder, "Route", "%s", text);
  }
  return sipd_builder_finish (builder, NULL, NULL);
}

static void
receive_invite_response (ClientTx *tx, SipdMessage *response)
{
  const SipdStackTimers *timers = tx->table->timers;
  guint status = sipd_message_get_status (response);

  if (status < 200) {
    if (tx->state != TX_TRYING && tx->state != TX_PROCEEDING)
      return;
    tx->state = TX_PROCEEDING;
    kl_timer_stop (tx->retransmit_timer);
    kl_timer_stop (tx->timeout_timer); /* Timer B runs only while calling */
    report (tx, response, NULL);
    return;
  }
  if (status < 300) {
    if (tx->state == TX_COMPLETED)
      return;
    if (tx->state != TX_ACCEPTED) {
      tx->state = TX_ACCEPTED;
      kl_timer_stop (tx->retransmit_timer);
      kl_timer_start (tx->timeout_timer, 64 * timers->t1_ms); /* Timer M */
    }
    report (tx, response, NULL);
    return;
  }
  if (tx->state == TX_COMPLETED) {
    sipd_flow_send (tx->flow, tx->ack); /* the ACK was lost: the answer came again */
    return;
  }
  if (tx->state == TX_ACCEPTED)
    return;
  tx->state = TX_COMPLETED;
  tx->ack = build_ack (tx, response);
  sipd_flow_send (tx->flow, tx->ack);
  kl_timer_stop (tx->retransmit_timer);
  kl_timer_start (tx->timeout_timer, sipd_flow_is_stream (tx->flow) ? 0 : TIMER_D_UDP_MS);
  report (tx, response, NULL);
}

static void
receive_response (ClientTx *tx, SipdMessage *response)
{
  if (is_invite (tx)) {
    receive_invite_response (tx, response);
    return;
  }
  if (sipd_message_get_status (response) < 200) {
    /* §17.1.2.2: keep waiting, retransmit at T2 */
    if (kl_timer_is_active (tx->retransmit_timer)) {
      tx->interval_ms = tx->table->timers->t2_ms;
      kl_timer_start (tx->retransmit_timer, tx->interval_ms);
    }
    return;
  }
  finish (tx, response, NULL);
}

void
sipd_client_tx_receive (SipdClientTxTable *self, SipdFlow *flow, SipdMessage *response)
{
  GHashTableIter iter;
  ClientTx *tx;
  const char *branch = sipd_message_get_branch (response);

  if (branch == NULL)
    return;
  g_hash_table_iter_init (&iter, self->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
    /* a response counts only on the flow its request went over */
    if (tx->flow == flow && strcmp (tx->branch, branch) == 0 &&
        g_ascii_strcasecmp (tx->method, sipd_message_get_method (response)) == 0) {
      receive_response (tx, response);
      return;
    }
  }
  /* a retransmitted final answer, or one for a cancelled request */
}

guint
sipd_client_tx_send (SipdClientTxTable *self,
                     SipdFlow *flow,
                     const char *method,
                     const char *branch,
                     GBytes *request,
                     SipdResponseFunc func,
                     gpointer user_data)
{
  ClientTx *tx = g_new0 (ClientTx, 1);
  gboolean invite = strcmp (method, "INVITE") == 0;
  gboolean sent;

  tx->table = self;
  tx->id = ++self->next_id;
  tx->flow = sipd_flow_ref (flow);
  tx->method = g_strdup (method);
  tx->branch = g_strdup (branch);
  tx->request = g_bytes_ref (request);
  if (invite)
    tx->invite = sipd_message_parse (g_bytes_get_data (request, NULL), g_bytes_get_size (request), NULL);
  g_return_val_if_fail (!invite || tx->invite != NULL, 0);
  tx->func = func;
  tx->user_data = user_data;
  tx->retransmit_timer = kl_timer_new (self->clock, on_retransmit, tx);
  tx->timeout_timer = kl_timer_new (self->clock, on_timeout, tx);
  tx->interval_ms = self->timers->t1_ms;

  /* a send can fail the flow at once, and that fails the flow's transactions:
   * this one joins them only after it went out */
  sent = sipd_flow_send (flow, request);
  g_hash_table_insert (self->transactions, GUINT_TO_POINTER (tx->id), tx);
  if (!sent) {
    kl_timer_start (tx->timeout_timer, 0); /* reports the flow's failure from the main loop */
    return tx->id;
  }
  if (strcmp (method, "REGISTER") == 0)
    kl_timer_start (tx->timeout_timer, self->timers->transaction_ms);
  else
    kl_timer_start (tx->timeout_timer, 64 * self->timers->t1_ms); /* Timer F, or B */
  if (!sipd_flow_is_stream (flow))
    kl_timer_start (tx->retransmit_timer, tx->interval_ms);
  sipd_flow_request_sent (flow); /* its silence is an early sign on a stream */
  return tx->id;
}

void
sipd_client_tx_cancel (SipdClientTxTable *self, guint id)
{
  ClientTx *tx = g_hash_table_lookup (self->transactions, GUINT_TO_POINTER (id));

  if (tx == NULL)
    return;
  if (!tx->reporting) {
    end_quietly (tx);
    return;
  }
  g_hash_table_steal (self->transactions, GUINT_TO_POINTER (id));
  kl_timer_stop (tx->retransmit_timer);
  kl_timer_stop (tx->timeout_timer);
  tx->cancelled = TRUE;
}

/* The flow failed: every transaction on it fails, but an INVITE that has its
 * final answer has nothing more to report. */
void
sipd_client_tx_fail_flow (SipdClientTxTable *self, SipdFlow *flow)
{
  g_autofree char *failure = g_strdup_printf ("flow failed: %s", sipd_flow_get_failure (flow)
                                                                     ? sipd_flow_get_failure (flow)
                                                                     : "closed");
  gboolean found;

  /* one at a time: a report may change the table */
  do {
    GHashTableIter iter;
    ClientTx *tx;

    found = FALSE;
    g_hash_table_iter_init (&iter, self->transactions);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
      if (tx->flow != flow)
        continue;
      found = TRUE;
      if (tx->state == TX_COMPLETED || tx->state == TX_ACCEPTED)
        end_quietly (tx);
      else
        finish (tx, NULL, failure);
      break;
    }
  } while (found);
}

gboolean
sipd_client_tx_has_branch (SipdClientTxTable *self, const char *branch)
{
  GHashTableIter iter;
  ClientTx *tx;

  g_hash_table_iter_init (&iter, self->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
    if (strcmp (tx->branch, branch) == 0)
      return TRUE;
  }
  return FALSE;
}

SipdClientTxTable *
sipd_client_tx_table_new (SipdStack *stack, KlClock *clock, const SipdStackTimers *timers)
{
  SipdClientTxTable *self = g_new0 (SipdClientTxTable, 1);

  self->stack = stack;
  self->clock = clock;
  self->timers = timers;
  self->transactions = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) client_tx_free);
  return self;
}

void
sipd_client_tx_table_free (SipdClientTxTable *self)
{
  g_hash_table_unref (self->transactions);
  g_free (self);
}
