/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The transport and transaction layer of sipd: the flows (one per transport and
 * server address, shared by the lines), the UDP socket, the RFC 3261 client
 * and server transactions (sipd-client-tx.h, sipd-server-tx.h), and the
 * dispatch of what arrives: responses to their transaction, requests to the
 * request handler. Only the phone's servers are heard: a datagram from an
 * address sipd has no flow to is dropped unread and counted, and the UDP
 * socket exists only once a line uses UDP. */
#pragma once

#include "kl-config.h"
#include "kl-clock.h"
#include "sipd-flow.h"
#include "sipd-message.h"

G_BEGIN_DECLS

typedef struct _SipdStack SipdStack;

typedef struct {
  gint64 t1_ms;
  gint64 t2_ms;
  gint64 transaction_ms; /* no final response to a REGISTER within this: its flow failed */
} SipdStackTimers;

typedef struct {
  SipdStackTimers timers;
  guint16 udp_port;
  gboolean symmetric_udp;
  gboolean persistent_tls;
  guint16 tls_port;
  SipdTls *tls; /* NULL without TLS; not owned */
} SipdStackParams;

/* A final response, or NULL with the failure ("timeout: …", "flow failed: …").
 * For an INVITE also every provisional response and every 2xx. */
typedef void (*SipdResponseFunc) (SipdStack *stack,
                                  SipdMessage *response,
                                  const char *failure,
                                  gpointer user_data);
/* An inbound request; answer it with sipd_stack_respond(). */
typedef void (*SipdRequestFunc) (SipdStack *stack, SipdFlow *flow, SipdMessage *request, gpointer user_data);
typedef enum {
  SIPD_FLOW_EVENT_STATE,     /* became active, failed or closed */
  SIPD_FLOW_EVENT_KEEPALIVE, /* a keep-alive was answered */
  SIPD_FLOW_EVENT_SUSPECT,   /* an early sign of a silent server: see sipd_flow_is_suspect() */
} SipdFlowEvent;

/* How many datagrams from senders that are not the lines' servers were
 * dropped unread: told at most once a second. */
typedef void (*SipdRejectedFunc) (SipdStack *stack, guint64 rejected, gpointer user_data);

typedef void (*SipdFlowWatchFunc) (SipdStack *stack, SipdFlow *flow, SipdFlowEvent event, gpointer user_data);

SipdStack *sipd_stack_new (KlClock *clock, const SipdStackParams *params, GError **error);
void sipd_stack_free (SipdStack *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdStack, sipd_stack_free)

void sipd_stack_params_from_config (SipdStackParams *params, KlConfig *config);

KlClock *sipd_stack_get_clock (SipdStack *self);
const SipdStackTimers *sipd_stack_get_timers (SipdStack *self);

void sipd_stack_set_request_handler (SipdStack *self, SipdRequestFunc func, gpointer user_data);
void sipd_stack_set_rejected_handler (SipdStack *self, SipdRejectedFunc func, gpointer user_data);
guint sipd_stack_add_flow_watch (SipdStack *self, SipdFlowWatchFunc func, gpointer user_data);
void sipd_stack_remove_flow_watch (SipdStack *self, guint id);

SipdFlow *sipd_stack_get_flow (SipdStack *self,
                               KlTransport transport,
                               GInetSocketAddress *remote,
                               const char *server_name);
GInetSocketAddress *sipd_stack_get_local_address (SipdStack *self, SipdFlow *flow);
guint sipd_stack_get_n_flows (SipdStack *self);
void sipd_stack_close_unused_flows (SipdStack *self);
void sipd_stack_close_unused_flows_soon (SipdStack *self);
GInetSocketAddress *sipd_stack_get_udp_address (SipdStack *self);
char *sipd_stack_via (SipdStack *self, SipdFlow *flow, const char *branch);
char *sipd_stack_contact_uri (SipdStack *self, SipdFlow *flow, const char *user, gboolean outbound);

guint sipd_stack_send_request (SipdStack *self,
                               SipdFlow *flow,
                               const char *method,
                               const char *branch,
                               GBytes *request,
                               SipdResponseFunc func,
                               gpointer user_data);
void sipd_stack_cancel_request (SipdStack *self, guint id);
void sipd_stack_respond (SipdStack *self, SipdFlow *flow, SipdMessage *request, GBytes *response);

G_END_DECLS
