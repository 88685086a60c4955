/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-stack"

#include "sipd-stack.h"

#include <string.h>

#define SERVER_TRANSACTION_LIFETIME_MS 32000 /* RFC 3261 Timer J for UDP */
#define NO_SERVER_NAME ""
#define MAX_STRAY_FLOWS 32 /* UDP peers we did not contact, kept to answer them */

typedef struct {
  SipdStack *stack;
  guint id;
  SipdFlow *flow;
  char *method;
  char *branch;
  GBytes *request;
  SipdResponseFunc func;
  gpointer user_data;
  KlTimer *retransmit_timer;
  KlTimer *timeout_timer;
  gint64 interval_ms;
} ClientTransaction;

typedef struct {
  SipdStack *stack;
  char *branch;
  char *method;
  guint flow_id;
  SipdFlow *flow;
  GBytes *response; /* NULL until answered */
  KlTimer *expiry_timer;
} ServerTransaction;

typedef struct {
  guint id;
  SipdFlowWatchFunc func;
  gpointer user_data;
} FlowWatch;

struct _SipdStack {
  KlClock *clock;
  SipdStackParams params;
  SipdUdpSocket *udp_listen[2]; /* [0] IPv4, [1] IPv6; created when first needed */
  SipdUdpSocket *udp_send[2];   /* only without symmetric signalling */
  GPtrArray *flows;             /* connecting and active flows */
  GHashTable *client_transactions; /* id → ClientTransaction */
  GPtrArray *server_transactions;
  GArray *watches;
  guint next_transaction_id;
  guint next_watch_id;
  SipdRequestFunc request_func;
  gpointer request_data;
  GSource *close_unused; /* sipd_stack_close_unused_flows_soon() */
};

static void on_flow_message (SipdFlow *flow, GBytes *bytes, gpointer user_data);
static void on_flow_state_changed (SipdFlow *flow, gpointer user_data);
static void on_flow_keepalive (SipdFlow *flow, gpointer user_data);
static const SipdFlowCallbacks flow_callbacks = { on_flow_message, on_flow_state_changed, on_flow_keepalive };

void
sipd_stack_params_from_config (SipdStackParams *params, KlConfig *config)
{
  params->timers.t1_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_T1_TIMER);
  params->timers.t2_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_T2_TIMER);
  params->timers.transaction_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_TRANSACTION_TIMER);
  params->udp_port = (guint16) kl_config_get_int (config, 0, KL_CONFIG_KEY_LOCAL_PORT);
  params->symmetric_udp = kl_config_get_bool (config, 0, KL_CONFIG_KEY_SYMMETRIC_UDP_SIGNALING);
  params->persistent_tls = kl_config_get_bool (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS);
  params->tls_port = (guint16) kl_config_get_int (config, 0, KL_CONFIG_KEY_LOCAL_TLS_PORT);
}

/* Client transactions */

static void
client_transaction_free (ClientTransaction *tx)
{
  kl_timer_free (tx->retransmit_timer);
  kl_timer_free (tx->timeout_timer);
  sipd_flow_unref (tx->flow);
  g_bytes_unref (tx->request);
  g_free (tx->method);
  g_free (tx->branch);
  g_free (tx);
}

/* Removes the transaction before its callback runs, so the callback may send
 * new requests or cancel others freely. */
static void
client_transaction_finish (ClientTransaction *tx, SipdMessage *response, const char *failure)
{
  SipdStack *self = tx->stack;

  g_hash_table_steal (self->client_transactions, GUINT_TO_POINTER (tx->id));
  tx->func (self, response, failure, tx->user_data);
  client_transaction_free (tx);
}

static void
on_retransmit (gpointer user_data)
{
  ClientTransaction *tx = user_data;
  const SipdStackTimers *timers = &tx->stack->params.timers;

  sipd_flow_send (tx->flow, tx->request);
  tx->interval_ms = MIN (tx->interval_ms * 2, timers->t2_ms);
  kl_timer_start (tx->retransmit_timer, tx->interval_ms);
}

/* No final response in time: the flow it went over has failed (RFC 5626 §4.4),
 * which fails this transaction and every other one on the flow. */
static void
on_transaction_timeout (gpointer user_data)
{
  ClientTransaction *tx = user_data;
  g_autofree char *reason = g_strdup_printf ("no answer to %s within %" G_GINT64_FORMAT " ms",
                                             tx->method, tx->stack->params.timers.transaction_ms);

  if (sipd_flow_get_state (tx->flow) == SIPD_FLOW_STATE_FAILED ||
      sipd_flow_get_state (tx->flow) == SIPD_FLOW_STATE_CLOSED)
    client_transaction_finish (tx, NULL, sipd_flow_get_failure (tx->flow));
  else
    sipd_flow_fail (tx->flow, reason);
}

guint
sipd_stack_send_request (SipdStack *self,
                         SipdFlow *flow,
                         const char *method,
                         const char *branch,
                         GBytes *request,
                         SipdResponseFunc func,
                         gpointer user_data)
{
  ClientTransaction *tx = g_new0 (ClientTransaction, 1);

  tx->stack = self;
  tx->id = ++self->next_transaction_id;
  tx->flow = sipd_flow_ref (flow);
  tx->method = g_strdup (method);
  tx->branch = g_strdup (branch);
  tx->request = g_bytes_ref (request);
  tx->func = func;
  tx->user_data = user_data;
  tx->retransmit_timer = kl_timer_new (self->clock, on_retransmit, tx);
  tx->timeout_timer = kl_timer_new (self->clock, on_transaction_timeout, tx);
  tx->interval_ms = self->params.timers.t1_ms;
  g_hash_table_insert (self->client_transactions, GUINT_TO_POINTER (tx->id), tx);

  if (!sipd_flow_send (flow, request)) {
    kl_timer_start (tx->timeout_timer, 0); /* reports the flow's failure from the main loop */
    return tx->id;
  }
  kl_timer_start (tx->timeout_timer, self->params.timers.transaction_ms);
  if (!sipd_flow_is_stream (flow))
    kl_timer_start (tx->retransmit_timer, tx->interval_ms);
  return tx->id;
}

void
sipd_stack_cancel_request (SipdStack *self, guint id)
{
  g_hash_table_remove (self->client_transactions, GUINT_TO_POINTER (id));
}

static void
receive_response (SipdStack *self, SipdFlow *flow, SipdMessage *response)
{
  GHashTableIter iter;
  ClientTransaction *tx;
  const char *branch = sipd_message_get_branch (response);

  if (branch == NULL)
    return;
  g_hash_table_iter_init (&iter, self->client_transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
    if (strcmp (tx->branch, branch) != 0 || g_ascii_strcasecmp (tx->method, sipd_message_get_method (response)) != 0)
      continue;
    if (sipd_message_get_status (response) < 200) {
      /* a provisional response: keep waiting, retransmit at T2 (RFC 3261 17.1.2.2) */
      if (kl_timer_is_active (tx->retransmit_timer)) {
        tx->interval_ms = self->params.timers.t2_ms;
        kl_timer_start (tx->retransmit_timer, tx->interval_ms);
      }
      return;
    }
    client_transaction_finish (tx, response, NULL);
    return;
  }
  /* a retransmitted final response, or one for a cancelled request */
}

static void
fail_transactions_on (SipdStack *self, SipdFlow *flow)
{
  g_autofree char *failure = g_strdup_printf ("flow failed: %s", sipd_flow_get_failure (flow)
                                                                     ? sipd_flow_get_failure (flow)
                                                                     : "closed");
  gboolean found;

  /* finish one at a time: a callback may change the table */
  do {
    GHashTableIter iter;
    ClientTransaction *tx;

    found = FALSE;
    g_hash_table_iter_init (&iter, self->client_transactions);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
      if (tx->flow == flow) {
        found = TRUE;
        client_transaction_finish (tx, NULL, failure);
        break;
      }
    }
  } while (found);
}

/* Server transactions */

static void
server_transaction_free (ServerTransaction *st)
{
  kl_timer_free (st->expiry_timer);
  g_clear_pointer (&st->response, g_bytes_unref);
  sipd_flow_unref (st->flow);
  g_free (st->branch);
  g_free (st->method);
  g_free (st);
}

static void
on_server_transaction_expired (gpointer user_data)
{
  ServerTransaction *st = user_data;

  g_ptr_array_remove_fast (st->stack->server_transactions, st);
}

static ServerTransaction *
find_server_transaction (SipdStack *self, SipdFlow *flow, const char *branch, const char *method)
{
  for (guint i = 0; i < self->server_transactions->len; i++) {
    ServerTransaction *st = g_ptr_array_index (self->server_transactions, i);
    if (st->flow_id == sipd_flow_get_id (flow) && strcmp (st->branch, branch) == 0 &&
        strcmp (st->method, method) == 0)
      return st;
  }
  return NULL;
}

static gboolean
is_our_own_request (SipdStack *self, const char *branch)
{
  GHashTableIter iter;
  ClientTransaction *tx;

  g_hash_table_iter_init (&iter, self->client_transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tx)) {
    if (strcmp (tx->branch, branch) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
receive_request (SipdStack *self, SipdFlow *flow, SipdMessage *request)
{
  const char *branch = sipd_message_get_branch (request);
  const char *method = sipd_message_get_method (request);
  ServerTransaction *st;

  if (branch != NULL && is_our_own_request (self, branch)) {
    g_message ("dropped a %s that looped back to us: is a server configured at our own address?", method);
    return;
  }

  if (branch != NULL) {
    /* an ACK belongs to the INVITE transaction it acknowledges */
    st = find_server_transaction (self, flow, branch, strcmp (method, "ACK") == 0 ? "INVITE" : method);
    if (st != NULL) {
      if (strcmp (method, "ACK") != 0 && st->response != NULL)
        sipd_flow_send (flow, st->response); /* a retransmission: answer it again */
      return;
    }
    if (strcmp (method, "ACK") != 0) {
      st = g_new0 (ServerTransaction, 1);
      st->stack = self;
      st->branch = g_strdup (branch);
      st->method = g_strdup (method);
      st->flow_id = sipd_flow_get_id (flow);
      st->flow = sipd_flow_ref (flow);
      st->expiry_timer = kl_timer_new (self->clock, on_server_transaction_expired, st);
      kl_timer_start (st->expiry_timer, SERVER_TRANSACTION_LIFETIME_MS);
      g_ptr_array_add (self->server_transactions, st);
    }
  }
  if (self->request_func != NULL)
    self->request_func (self, flow, request, self->request_data);
}

void
sipd_stack_respond (SipdStack *self, SipdFlow *flow, SipdMessage *request, GBytes *response)
{
  const char *branch = sipd_message_get_branch (request);
  ServerTransaction *st = branch ? find_server_transaction (self, flow, branch, sipd_message_get_method (request))
                                 : NULL;

  if (st != NULL) {
    g_clear_pointer (&st->response, g_bytes_unref);
    st->response = g_bytes_ref (response);
  }
  sipd_flow_send (flow, response);
}

/* Dispatch */

static void
on_flow_message (SipdFlow *flow, GBytes *bytes, gpointer user_data)
{
  SipdStack *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SipdMessage) message = sipd_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                         &error);

  if (message == NULL) {
    g_autofree char *from = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
    g_message ("dropped a malformed message from %s (%s, %" G_GSIZE_FORMAT " bytes)", from, error->message,
               g_bytes_get_size (bytes));
    return;
  }
  if (sipd_message_is_request (message))
    receive_request (self, flow, message);
  else
    receive_response (self, flow, message);
}

/* A watch may add or remove watches, its own or others': each is looked up
 * again before it is called. */
static void
notify_watches (SipdStack *self, SipdFlow *flow, SipdFlowEvent event)
{
  g_autoptr (GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (guint), self->watches->len);

  for (guint i = 0; i < self->watches->len; i++)
    g_array_append_val (ids, g_array_index (self->watches, FlowWatch, i).id);
  for (guint i = 0; i < ids->len; i++) {
    for (guint j = 0; j < self->watches->len; j++) {
      FlowWatch watch = g_array_index (self->watches, FlowWatch, j);
      if (watch.id == g_array_index (ids, guint, i)) {
        watch.func (self, flow, event, watch.user_data);
        break;
      }
    }
  }
}

static void
on_flow_state_changed (SipdFlow *flow, gpointer user_data)
{
  SipdStack *self = user_data;
  SipdFlowState state = sipd_flow_get_state (flow);

  sipd_flow_ref (flow);
  if (state == SIPD_FLOW_STATE_FAILED || state == SIPD_FLOW_STATE_CLOSED) {
    g_ptr_array_remove (self->flows, flow);
    fail_transactions_on (self, flow);
  }
  notify_watches (self, flow, SIPD_FLOW_EVENT_STATE);
  sipd_flow_unref (flow);
}

static void
on_flow_keepalive (SipdFlow *flow, gpointer user_data)
{
  notify_watches (user_data, flow, SIPD_FLOW_EVENT_KEEPALIVE);
}

/* UDP */

static int
family_index (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? 1 : 0;
}

static SipdFlow *
find_flow (SipdStack *self, KlTransport transport, GInetSocketAddress *remote)
{
  for (guint i = 0; i < self->flows->len; i++) {
    SipdFlow *flow = g_ptr_array_index (self->flows, i);
    GInetSocketAddress *address = sipd_flow_get_remote (flow);
    if (sipd_flow_get_transport (flow) == transport &&
        g_inet_socket_address_get_port (address) == g_inet_socket_address_get_port (remote) &&
        g_inet_address_equal (g_inet_socket_address_get_address (address),
                              g_inet_socket_address_get_address (remote)))
      return flow;
  }
  return NULL;
}

static gboolean
is_stray (SipdFlow *flow)
{
  return g_strcmp0 (sipd_flow_get_server_name (flow), NO_SERVER_NAME) == 0;
}

/* Many senders we never contacted must not make the flow table grow without end. */
static void
limit_stray_flows (SipdStack *self)
{
  guint strays = 0;
  guint oldest = G_MAXUINT;

  for (guint i = 0; i < self->flows->len; i++) {
    if (is_stray (g_ptr_array_index (self->flows, i))) {
      strays++;
      if (oldest == G_MAXUINT)
        oldest = i;
    }
  }
  if (strays >= MAX_STRAY_FLOWS) {
    SipdFlow *flow = g_ptr_array_steal_index (self->flows, oldest);
    sipd_flow_close (flow);
    sipd_flow_unref (flow);
  }
}

static void
on_udp_datagram (GInetSocketAddress *from, const guint8 *data, gsize length, gpointer user_data)
{
  SipdStack *self = user_data;
  SipdFlow *flow = find_flow (self, KL_TRANSPORT_UDP, from);

  /* A request from an address with no flow yet still gets its answer over UDP. */
  if (flow == NULL) {
    limit_stray_flows (self);
    flow = sipd_stack_get_flow (self, KL_TRANSPORT_UDP, from, NO_SERVER_NAME);
  }
  if (flow != NULL)
    sipd_flow_receive_datagram (flow, data, length);
}

static SipdUdpSocket *
udp_socket (SipdStack *self, GSocketFamily family, gboolean for_sending, GError **error)
{
  int i = family_index (family);

  if (self->udp_listen[i] == NULL) {
    self->udp_listen[i] = sipd_udp_socket_new (family, self->params.udp_port, on_udp_datagram, self, error);
    if (self->udp_listen[i] == NULL)
      return NULL;
  }
  if (!for_sending || self->params.symmetric_udp)
    return self->udp_listen[i];
  if (self->udp_send[i] == NULL)
    self->udp_send[i] = sipd_udp_socket_new (family, 0, on_udp_datagram, self, error);
  return self->udp_send[i];
}

/* Lifetime */

SipdStack *
sipd_stack_new (KlClock *clock, const SipdStackParams *params, GError **error)
{
  g_autoptr (SipdStack) self = g_new0 (SipdStack, 1);

  self->clock = kl_clock_ref (clock);
  self->params = *params;
  self->flows = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_flow_unref);
  self->client_transactions = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) client_transaction_free);
  self->server_transactions = g_ptr_array_new_with_free_func ((GDestroyNotify) server_transaction_free);
  self->watches = g_array_new (FALSE, FALSE, sizeof (FlowWatch));

  /* Listen on the SIP port from the start: requests may come before we send. */
  if (udp_socket (self, G_SOCKET_FAMILY_IPV4, FALSE, error) == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
sipd_stack_free (SipdStack *self)
{
  if (self->close_unused != NULL) {
    g_source_destroy (self->close_unused);
    g_clear_pointer (&self->close_unused, g_source_unref);
  }
  g_clear_pointer (&self->client_transactions, g_hash_table_unref);
  g_clear_pointer (&self->server_transactions, g_ptr_array_unref);
  if (self->flows != NULL) {
    for (guint i = 0; i < self->flows->len; i++)
      sipd_flow_close (g_ptr_array_index (self->flows, i));
    g_ptr_array_unref (self->flows);
  }
  for (guint i = 0; i < 2; i++) {
    g_clear_pointer (&self->udp_listen[i], sipd_udp_socket_free);
    g_clear_pointer (&self->udp_send[i], sipd_udp_socket_free);
  }
  g_clear_pointer (&self->watches, g_array_unref);
  kl_clock_unref (self->clock);
  g_free (self);
}

KlClock *
sipd_stack_get_clock (SipdStack *self)
{
  return self->clock;
}

const SipdStackTimers *
sipd_stack_get_timers (SipdStack *self)
{
  return &self->params.timers;
}

void
sipd_stack_set_request_handler (SipdStack *self, SipdRequestFunc func, gpointer user_data)
{
  self->request_func = func;
  self->request_data = user_data;
}

guint
sipd_stack_add_flow_watch (SipdStack *self, SipdFlowWatchFunc func, gpointer user_data)
{
  FlowWatch watch = { ++self->next_watch_id, func, user_data };

  g_array_append_val (self->watches, watch);
  return watch.id;
}

void
sipd_stack_remove_flow_watch (SipdStack *self, guint id)
{
  for (guint i = 0; i < self->watches->len; i++) {
    if (g_array_index (self->watches, FlowWatch, i).id == id) {
      g_array_remove_index (self->watches, i);
      return;
    }
  }
}

/* The live flow to a server, or a new one, started. NULL only when the
 * transport cannot be used at all (no TLS configuration, no UDP socket). */
SipdFlow *
sipd_stack_get_flow (SipdStack *self, KlTransport transport, GInetSocketAddress *remote, const char *server_name)
{
  g_autoptr (GError) error = NULL;
  SipdFlow *flow = find_flow (self, transport, remote);
  SipdFlowParams params = {
    .transport = transport,
    .remote = remote,
    .server_name = server_name,
    .tls = self->params.tls,
    .connect_timeout_ms = self->params.timers.transaction_ms,
  };

  if (flow != NULL)
    return flow;
  switch (transport) {
  case KL_TRANSPORT_UDP:
    params.udp = udp_socket (self, g_socket_address_get_family (G_SOCKET_ADDRESS (remote)), TRUE, &error);
    if (params.udp == NULL) {
      g_warning ("no UDP socket: %s", error->message);
      return NULL;
    }
    break;
  case KL_TRANSPORT_TLS:
    if (self->params.tls == NULL)
      return NULL;
    if (self->params.persistent_tls)
      params.local_port = self->params.tls_port;
    break;
  case KL_TRANSPORT_TCP:
    break;
  }

  flow = sipd_flow_new (self->clock, &params, &flow_callbacks, self);
  g_ptr_array_add (self->flows, flow);
  sipd_flow_start (flow);
  return flow;
}

/* The address the server sees us at: the connection's local end for TCP and
 * TLS; for UDP, the source address the kernel picks towards the server with
 * the port of our UDP socket. */
GInetSocketAddress *
sipd_stack_get_local_address (SipdStack *self, SipdFlow *flow)
{
  GInetSocketAddress *remote = sipd_flow_get_remote (flow);
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (remote));
  SipdUdpSocket *udp;

  if (sipd_flow_is_stream (flow))
    return sipd_flow_get_local (flow) ? g_object_ref (sipd_flow_get_local (flow)) : NULL;

  udp = self->udp_listen[family_index (family)];
  probe = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL || udp == NULL || !g_socket_connect (probe, G_SOCKET_ADDRESS (remote), NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (probe, NULL);
  if (local == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)),
    g_inet_socket_address_get_port (sipd_udp_socket_get_local_address (udp))));
}

/* A flow to a server that nothing but the stack holds any more (the line
 * moved elsewhere, its old registration and subscriptions are gone) is
 * closed, so that it stops its keep-alives and the server can let go. */
void
sipd_stack_close_unused_flows (SipdStack *self)
{
  for (guint i = self->flows->len; i-- > 0;) {
    SipdFlow *flow = g_ptr_array_index (self->flows, i);

    if (is_stray (flow) || sipd_flow_get_ref_count (flow) != 1)
      continue;
    g_message ("closing flow %u to %s: nothing uses it any more", sipd_flow_get_id (flow),
               sipd_flow_get_server_name (flow));
    sipd_flow_close (flow);
    g_ptr_array_remove_index (self->flows, i);
  }
}

static gboolean
on_close_unused (gpointer user_data)
{
  SipdStack *self = user_data;

  g_clear_pointer (&self->close_unused, g_source_unref);
  sipd_stack_close_unused_flows (self);
  return G_SOURCE_REMOVE;
}

/* Once what is being freed now is gone: after the idle callbacks of default
 * priority that free it. */
void
sipd_stack_close_unused_flows_soon (SipdStack *self)
{
  if (self->close_unused != NULL)
    return;
  self->close_unused = g_idle_source_new ();
  g_source_set_priority (self->close_unused, G_PRIORITY_LOW);
  g_source_set_callback (self->close_unused, on_close_unused, self, NULL);
  g_source_attach (self->close_unused, g_main_context_get_thread_default ());
}

guint
sipd_stack_get_n_flows (SipdStack *self)
{
  return self->flows->len;
}

/* The local address of the IPv4 SIP socket (any address, the bound port). */
GInetSocketAddress *
sipd_stack_get_udp_address (SipdStack *self)
{
  return sipd_udp_socket_get_local_address (self->udp_listen[0]);
}

char *
sipd_stack_via (SipdStack *self, SipdFlow *flow, const char *branch)
{
  g_autoptr (GInetSocketAddress) local = sipd_stack_get_local_address (self, flow);
  g_autofree char *sent_by = sipd_socket_address_to_string (local);
  g_autofree char *transport = g_ascii_strup (kl_transport_to_string (sipd_flow_get_transport (flow)), -1);

  return g_strdup_printf ("SIP/2.0/%s %s;branch=%s;rport", transport, *sent_by ? sent_by : "0.0.0.0", branch);
}
