/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A flow (RFC 5626): one transport association to one server address — a UDP
 * 5-tuple on the shared UDP socket, a TCP connection or a TLS connection. It
 * frames what arrives into SIP messages, runs its keep-alive (sipd-keepalive.h:
 * CRLF ping and pong on streams, STUN on UDP) and reports its failure with a
 * reason. A failed flow stays failed: recovery is a new flow. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"
#include "kl-transport.h"
#include "sipd-keepalive.h"
#include "sipd-tls.h"
#include "sipd-udp.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_FLOW_STATE_CONNECTING,
  SIPD_FLOW_STATE_ACTIVE,
  SIPD_FLOW_STATE_FAILED,
  SIPD_FLOW_STATE_CLOSED,
} SipdFlowState;

typedef struct _SipdFlow SipdFlow;

typedef struct {
  /* one complete SIP message, framed */
  void (*message) (SipdFlow *flow, GBytes *message, gpointer user_data);
  /* connecting -> active, or -> failed (see sipd_flow_get_failure) */
  void (*state_changed) (SipdFlow *flow, gpointer user_data);
  /* a keep-alive was answered; the round trip is in sipd_flow_get_rtt_ms */
  void (*keepalive_answered) (SipdFlow *flow, gpointer user_data);
  /* an early sign of a silent server (see sipd-keepalive.h); an answer or
   * the failure of the flow follows */
  void (*suspect) (SipdFlow *flow, const char *reason, gpointer user_data);
} SipdFlowCallbacks;

typedef struct {
  KlTransport transport;
  GInetSocketAddress *remote;
  const char *server_name;   /* the host as configured: TLS verifies it; logs show it */
  guint16 local_port;        /* TCP and TLS: bind to it (persistent TLS); 0 = any */
  SipdTls *tls;              /* TLS only */
  SipdUdpSocket *udp;        /* UDP only */
  gint64 connect_timeout_ms; /* TCP connect plus TLS handshake */
} SipdFlowParams;

SipdFlow *sipd_flow_new (KlClock *clock,
                         const SipdFlowParams *params,
                         const SipdFlowCallbacks *callbacks,
                         gpointer user_data);
SipdFlow *sipd_flow_ref (SipdFlow *self);
void sipd_flow_unref (SipdFlow *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdFlow, sipd_flow_unref)

void sipd_flow_start (SipdFlow *self);
gboolean sipd_flow_send (SipdFlow *self, GBytes *data);
void sipd_flow_fail (SipdFlow *self, const char *reason);
void sipd_flow_close (SipdFlow *self);

void sipd_flow_start_keepalive (SipdFlow *self, guint flow_timer_s, guint configured_s, gint64 suspect_floor_ms);
void sipd_flow_start_unanswered_keepalive (SipdFlow *self, guint interval_s);
void sipd_flow_stop_keepalive (SipdFlow *self);
void sipd_flow_keepalive_now (SipdFlow *self);
gboolean sipd_flow_check (SipdFlow *self, gint64 deadline_ms);
void sipd_flow_request_sent (SipdFlow *self);
gboolean sipd_flow_is_suspect (SipdFlow *self);
void sipd_flow_receive_datagram (SipdFlow *self, const guint8 *data, gsize length);

guint sipd_flow_get_id (SipdFlow *self);
SipdFlowState sipd_flow_get_state (SipdFlow *self);
guint sipd_flow_get_ref_count (SipdFlow *self);
KlTransport sipd_flow_get_transport (SipdFlow *self);
GInetSocketAddress *sipd_flow_get_remote (SipdFlow *self);
GInetSocketAddress *sipd_flow_get_local (SipdFlow *self);
const char *sipd_flow_get_server_name (SipdFlow *self);
const char *sipd_flow_get_failure (SipdFlow *self);
/* Whether an active flow failed by the server's orderly close (a FIN, a TLS
 * close_notify), rather than a reset, an error or silence. */
gboolean sipd_flow_was_closed_by_server (SipdFlow *self);
gint64 sipd_flow_get_rtt_ms (SipdFlow *self);
/* The longest interval between keep-alives now, 0 when none are sent. */
guint sipd_flow_get_keepalive_s (SipdFlow *self);
gboolean sipd_flow_is_stream (SipdFlow *self);
SipdKeepalive *sipd_flow_get_keepalive (SipdFlow *self);

const char *sipd_flow_state_to_string (SipdFlowState state);
char *sipd_socket_address_to_string (GInetSocketAddress *address);

G_END_DECLS
