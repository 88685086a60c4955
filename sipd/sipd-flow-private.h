/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside a flow, for its two files: sipd-flow.c (lifetime, state, keep-alive,
 * properties) and sipd-flow-io.c (connecting, TLS handshake, reading and
 * framing, writing). Nothing else includes this. */
#pragma once

#include "sipd-flow.h"
#include "sipd-framer.h"

G_BEGIN_DECLS

struct _SipdFlow {
  gint ref_count;
  guint id;
  KlClock *clock;
  SipdFlowCallbacks callbacks;
  gpointer user_data;

  KlTransport transport;
  GInetSocketAddress *remote;
  GInetSocketAddress *local;
  char *server_name;
  char *label; /* "tcp 127.0.0.1:40000 -> 127.0.0.2:5060" for logs */
  guint16 local_port;
  SipdTls *tls;
  SipdUdpSocket *udp;
  gint64 connect_timeout_ms;

  SipdFlowState state;
  char *failure;
  gboolean closed_by_server; /* it failed by the server's orderly close (FIN, close_notify) */
  GSource *start_failure; /* reports a failure of sipd_flow_start() from the main loop */

  GSocket *socket;
  GSource *read_source;
  GSource *write_source;
  gnutls_session_t session;
  gboolean handshaking;
  GByteArray *output;
  gsize tls_pending; /* size of a TLS record gnutls asked to be sent again */
  SipdFramer *framer;

  KlTimer *connect_timer;
  SipdKeepalive *keepalive;
};

G_GNUC_PRINTF (3, 4)
void sipd_flow_log (SipdFlow *self, GLogLevelFlags level, const char *format, ...);
void sipd_flow_update_label (SipdFlow *self);
void sipd_flow_set_active (SipdFlow *self);
void sipd_flow_set_failed (SipdFlow *self, const char *reason);
/* The server ended the connection in order: a failure too, of a kind the
 * keeper may treat as ordinary (see sipd_flow_was_closed_by_server()). */
void sipd_flow_set_closed_by_server (SipdFlow *self);
/* A failure of sipd_flow_start(), told from the main loop. */
void sipd_flow_fail_soon (SipdFlow *self, const char *reason);
void sipd_flow_flush_output (SipdFlow *self);

G_END_DECLS
