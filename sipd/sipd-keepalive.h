/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keep-alive of one flow (RFC 5626 §4.4.1): when to send the next ping
 * (a random 80-100 % of the smaller of Flow-Timer and the configured timer),
 * the 10 s within which its answer must come, and what the answer says — a
 * CRLF pong on a stream, a STUN Binding response on UDP (RFC 5389, resent
 * with a doubling time-out, its XOR-MAPPED-ADDRESS watched for a change).
 * The flow sends what it is given and fails when it is told to. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"

G_BEGIN_DECLS

typedef struct _SipdKeepalive SipdKeepalive;

typedef struct {
  /* send one ping: CRLFCRLF on a stream, a STUN Binding request on UDP */
  void (*send) (GBytes *ping, gpointer user_data);
  /* a ping was answered; the round trip is in sipd_keepalive_get_rtt_ms */
  void (*answered) (gpointer user_data);
  /* no answer in time, or the server sees a new address: the flow fails */
  void (*failed) (const char *reason, gpointer user_data);
} SipdKeepaliveCallbacks;

SipdKeepalive *sipd_keepalive_new (KlClock *clock,
                                   gboolean stream,
                                   guint flow_id,
                                   const SipdKeepaliveCallbacks *callbacks,
                                   gpointer user_data);
void sipd_keepalive_free (SipdKeepalive *self);

void sipd_keepalive_start (SipdKeepalive *self, guint flow_timer_s, guint configured_s);
void sipd_keepalive_stop (SipdKeepalive *self);
/* A ping now instead of at the next tick, unless one is unanswered. */
void sipd_keepalive_now (SipdKeepalive *self);
/* A ping now that must be answered within deadline_ms; FALSE when keep-alives are off. */
gboolean sipd_keepalive_check (SipdKeepalive *self, gint64 deadline_ms);

/* What arrived: a CRLF pong on a stream, a STUN message on UDP. */
void sipd_keepalive_pong (SipdKeepalive *self);
void sipd_keepalive_receive_stun (SipdKeepalive *self, const guint8 *data, gsize length);

gboolean sipd_keepalive_is_on (SipdKeepalive *self);
gint64 sipd_keepalive_get_rtt_ms (SipdKeepalive *self);

G_END_DECLS
