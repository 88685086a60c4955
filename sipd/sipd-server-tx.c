/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-stack"

#include "sipd-server-tx.h"

#include <string.h>

#define TIMER_J_MS 32000 /* non-INVITE over UDP; streams could end at once, but absorbing costs little */
#define TIMER_I_UDP_MS 5000 /* T4 */
/* What the phone's own servers may keep open here at once: far above what
 * nine lines see, a bound on a server gone mad (strangers are not heard). */
#define MAX_SERVER_TRANSACTIONS 256
#define MAX_SERVER_TRANSACTIONS_PER_FLOW 64

typedef enum {
  STX_PROCEEDING, /* no final response yet */
  STX_COMPLETED,  /* INVITE: a non-2xx final response, waiting for the ACK; non-INVITE: answered */
  STX_CONFIRMED,  /* INVITE: the ACK came */
  STX_ACCEPTED,   /* INVITE: a 2xx went out */
} StxState;

typedef struct {
  SipdServerTxTable *table;
  char *key;
  char *branch;
  char *method;
  SipdFlow *flow;
  StxState state;
  GBytes *response; /* the last one sent, NULL until answered */
  KlTimer *retransmit_timer; /* Timer G */
  KlTimer *expiry_timer;     /* J, H, I or L */
  gint64 interval_ms;
} ServerTx;

struct _SipdServerTxTable {
  KlClock *clock;
  const SipdStackTimers *timers;
  GHashTable *transactions; /* "flow-id branch method" → ServerTx */
};

static gboolean
is_invite (ServerTx *st)
{
  return strcmp (st->method, "INVITE") == 0;
}

static void
server_tx_free (ServerTx *st)
{
  kl_timer_free (st->retransmit_timer);
  kl_timer_free (st->expiry_timer);
  g_clear_pointer (&st->response, g_bytes_unref);
  sipd_flow_unref (st->flow);
  g_free (st->key);
  g_free (st->branch);
  g_free (st->method);
  g_free (st);
}

static void
on_expired (gpointer user_data)
{
  ServerTx *st = user_data;

  g_hash_table_remove (st->table->transactions, st->key);
}

static void
on_retransmit (gpointer user_data)
{
  ServerTx *st = user_data;

  sipd_flow_send (st->flow, st->response);
  st->interval_ms = MIN (st->interval_ms * 2, st->table->timers->t2_ms);
  kl_timer_start (st->retransmit_timer, st->interval_ms);
}

static char *
key_of (SipdFlow *flow, const char *branch, const char *method)
{
  return g_strdup_printf ("%u %s %s", sipd_flow_get_id (flow), branch, method);
}

static ServerTx *
find (SipdServerTxTable *self, SipdFlow *flow, const char *branch, const char *method)
{
  g_autofree char *key = key_of (flow, branch, method);

  return g_hash_table_lookup (self->transactions, key);
}

static gboolean
has_room (SipdServerTxTable *self, SipdFlow *flow)
{
  GHashTableIter iter;
  ServerTx *st;
  guint on_flow = 0;

  if (g_hash_table_size (self->transactions) >= MAX_SERVER_TRANSACTIONS)
    return FALSE;
  g_hash_table_iter_init (&iter, self->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &st))
    on_flow += st->flow == flow;
  return on_flow < MAX_SERVER_TRANSACTIONS_PER_FLOW;
}

static void
receive_ack (ServerTx *st)
{
  if (st->state != STX_COMPLETED)
    return;
  st->state = STX_CONFIRMED;
  kl_timer_stop (st->retransmit_timer);
  kl_timer_start (st->expiry_timer, sipd_flow_is_stream (st->flow) ? 0 : TIMER_I_UDP_MS);
}

gboolean
sipd_server_tx_receive (SipdServerTxTable *self, SipdFlow *flow, SipdMessage *request)
{
  const char *branch = sipd_message_get_branch (request);
  const char *method = sipd_message_get_method (request);
  gboolean ack = strcmp (method, "ACK") == 0;
  ServerTx *st;

  if (branch == NULL)
    return FALSE;
  /* the ACK of a non-2xx belongs to the INVITE transaction; that of a 2xx
   * has a branch of its own and goes to the core */
  st = find (self, flow, branch, ack ? "INVITE" : method);
  if (st != NULL) {
    if (ack)
      receive_ack (st);
    else if (st->response != NULL)
      sipd_flow_send (flow, st->response);
    return TRUE;
  }
  if (ack)
    return FALSE;
  if (!has_room (self, flow)) {
    g_autofree char *from = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
    g_message ("dropped a %s from %s: %u requests are open already", method, from,
               g_hash_table_size (self->transactions));
    return TRUE;
  }

  st = g_new0 (ServerTx, 1);
  st->table = self;
  st->branch = g_strdup (branch);
  st->method = g_strdup (method);
  st->key = key_of (flow, branch, method);
  st->flow = sipd_flow_ref (flow);
  st->retransmit_timer = kl_timer_new (self->clock, on_retransmit, st);
  st->expiry_timer = kl_timer_new (self->clock, on_expired, st);
  if (!is_invite (st))
    kl_timer_start (st->expiry_timer, TIMER_J_MS);
  g_hash_table_insert (self->transactions, st->key, st);
  return FALSE;
}

static void
invite_answered (ServerTx *st, guint status)
{
  const SipdStackTimers *timers = st->table->timers;

  if (status < 200)
    return;
  if (status < 300) {
    st->state = STX_ACCEPTED;
    kl_timer_start (st->expiry_timer, 64 * timers->t1_ms); /* Timer L */
    return;
  }
  st->state = STX_COMPLETED;
  kl_timer_start (st->expiry_timer, 64 * timers->t1_ms); /* Timer H */
  if (!sipd_flow_is_stream (st->flow)) {
    st->interval_ms = timers->t1_ms;
    kl_timer_start (st->retransmit_timer, st->interval_ms); /* Timer G */
  }
}

void
sipd_server_tx_respond (SipdServerTxTable *self, SipdFlow *flow, SipdMessage *request, GBytes *response)
{
  const char *branch = sipd_message_get_branch (request);
  ServerTx *st = branch ? find (self, flow, branch, sipd_message_get_method (request)) : NULL;

  sipd_flow_send (flow, response);
  if (st == NULL || st->state != STX_PROCEEDING)
    return;
  g_clear_pointer (&st->response, g_bytes_unref);
  st->response = g_bytes_ref (response);
  if (is_invite (st)) {
    SipdMessage *parsed = sipd_message_parse (g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL);
    if (parsed != NULL) {
      invite_answered (st, sipd_message_get_status (parsed));
      sipd_message_unref (parsed);
    }
  }
}

guint
sipd_server_tx_count (SipdServerTxTable *self)
{
  return g_hash_table_size (self->transactions);
}

SipdServerTxTable *
sipd_server_tx_table_new (KlClock *clock, const SipdStackTimers *timers)
{
  SipdServerTxTable *self = g_new0 (SipdServerTxTable, 1);

  self->clock = clock;
  self->timers = timers;
  self->transactions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) server_tx_free);
  return self;
}

void
sipd_server_tx_table_free (SipdServerTxTable *self)
{
  g_hash_table_unref (self->transactions);
  g_free (self);
}
