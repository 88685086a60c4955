/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keep-alive of one flow (RFC 5626 §4.4.1): when to send the next ping
 * (a random 80-100 % of the smaller of Flow-Timer and the configured timer),
 * the 10 s within which its answer must come, and what the answer says — a
 * CRLF pong on a stream, a STUN Binding response on UDP (RFC 5389, resent
 * with a doubling time-out, its XOR-MAPPED-ADDRESS watched for a change).
 * The flow sends what it is given and fails when it is told to.
 *
 * Before the 10 s are out the flow may become suspect: when the answer is
 * later than the round trip makes likely (sipd-rtt.h, with a floor), when
 * the kernel resends a stream's data, or cannot send it, while a ping is out,
 * or when a request on a stream has no answer within the same bound. A
 * suspect flow sends a second ping at once; an answer clears it, the 10 s
 * fail it. The state changes in one place (sipd_keepalive_state_next):
 *
 *   off ──start──▶ scheduled ──ping──▶ awaiting ──answer──▶ scheduled
 *   awaiting / scheduled ──late──▶ suspect ──answer──▶ scheduled
 *   awaiting / suspect ──deadline──▶ failed
 *   any but failed ──stop──▶ off
 *
 * Apart from these states, and with them off: RFC 6223's keep-alives, sent
 * every N s to a server that agreed to receive them, awaiting no answer. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_KEEPALIVE_STATE_OFF,       /* no keep-alives, no ping out */
  SIPD_KEEPALIVE_STATE_SCHEDULED, /* the next ping goes at the tick */
  SIPD_KEEPALIVE_STATE_AWAITING,  /* a ping is out, its answer not late yet */
  SIPD_KEEPALIVE_STATE_SUSPECT,   /* an early sign of a silent server: a second ping is out */
  SIPD_KEEPALIVE_STATE_FAILED,    /* no answer within 10 s: the flow fails */
} SipdKeepaliveState;

typedef enum {
  SIPD_KEEPALIVE_EVENT_START,    /* keep-alives on */
  SIPD_KEEPALIVE_EVENT_STOP,     /* keep-alives off, the flow closed or failed */
  SIPD_KEEPALIVE_EVENT_PING,     /* a ping is due */
  SIPD_KEEPALIVE_EVENT_ANSWER,   /* the ping was answered */
  SIPD_KEEPALIVE_EVENT_LATE,     /* an early sign: late answer, stalled stream, unanswered request */
  SIPD_KEEPALIVE_EVENT_DEADLINE, /* the 10 s of RFC 5626 §4.4.1 are out */
} SipdKeepaliveEvent;

SipdKeepaliveState sipd_keepalive_state_next (SipdKeepaliveState state, SipdKeepaliveEvent event);
const char *sipd_keepalive_state_to_string (SipdKeepaliveState state);

typedef struct _SipdKeepalive SipdKeepalive;

typedef struct {
  /* send one ping: CRLFCRLF on a stream, a STUN Binding request on UDP */
  void (*send) (GBytes *ping, gpointer user_data);
  /* a ping was answered; the round trip is in sipd_keepalive_get_rtt_ms */
  void (*answered) (gpointer user_data);
  /* no answer in time, or the server sees a new address: the flow fails */
  void (*failed) (const char *reason, gpointer user_data);
  /* an early sign: the flow is suspect until answered or failed */
  void (*suspect) (const char *reason, gpointer user_data);
  /* streams: TRUE when the kernel resends queued data or cannot send it; may be NULL */
  gboolean (*stalled) (gpointer user_data);
} SipdKeepaliveCallbacks;

SipdKeepalive *sipd_keepalive_new (KlClock *clock,
                                   gboolean stream,
                                   guint flow_id,
                                   const SipdKeepaliveCallbacks *callbacks,
                                   gpointer user_data);
void sipd_keepalive_free (SipdKeepalive *self);

/* suspect_floor_ms: the least time an answer may take before the flow is suspect */
void sipd_keepalive_start (SipdKeepalive *self, guint flow_timer_s, guint configured_s, gint64 suspect_floor_ms);
void sipd_keepalive_stop (SipdKeepalive *self);
/* RFC 6223 keep-alives that a server agreed to receive (keep=N): a ping
 * every 80-100 % of interval_s, no answer awaited, none a failure; they
 * replace the keep-alives above until those start again or stop. */
void sipd_keepalive_start_unanswered (SipdKeepalive *self, guint interval_s);
/* A ping now instead of at the next tick, unless one is unanswered. */
void sipd_keepalive_now (SipdKeepalive *self);
/* A ping now that must be answered within deadline_ms; FALSE when keep-alives are off. */
gboolean sipd_keepalive_check (SipdKeepalive *self, gint64 deadline_ms);

/* What arrived: a CRLF pong on a stream, a STUN message on UDP. */
void sipd_keepalive_pong (SipdKeepalive *self);
void sipd_keepalive_receive_stun (SipdKeepalive *self, const guint8 *data, gsize length);

/* A stream carried a request / the server sent a message: a request with no
 * answer within the suspicion bound is an early sign. */
void sipd_keepalive_request_sent (SipdKeepalive *self);
void sipd_keepalive_heard (SipdKeepalive *self);

SipdKeepaliveState sipd_keepalive_get_state (SipdKeepalive *self);
gboolean sipd_keepalive_is_on (SipdKeepalive *self);
gint64 sipd_keepalive_get_rtt_ms (SipdKeepalive *self);
guint sipd_keepalive_get_longest_s (SipdKeepalive *self);
/* The bound now: max(4 × (SRTT + 4 × RTTVAR), floor). */
gint64 sipd_keepalive_get_suspect_after_ms (SipdKeepalive *self);

G_END_DECLS
