/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-keepalive"

#include "sipd-keepalive.h"

#include <string.h>

#include "kl-log.h"
#include "kl-random.h"
#include "sipd-flow.h"
#include "sipd-rtt.h"
#include "sipd-stun.h"
#include "sipd-timing.h"

#define STUN_FIRST_RTO_MS 500
#define STALL_POLL_MS 200 /* how often the kernel is asked while a ping is out */

struct _SipdKeepalive {
  KlClock *clock;
  gboolean stream;
  guint flow_id;
  SipdKeepaliveCallbacks callbacks;
  gpointer user_data;

  SipdKeepaliveState state;
  KlTimer *keepalive_timer;
  KlTimer *deadline_timer;   /* pong or STUN answer due */
  KlTimer *suspect_timer;    /* the answer is late, or the kernel is asked again */
  KlTimer *retransmit_timer; /* STUN over UDP */
  KlTimer *request_timer;    /* a request on a stream is unanswered since */
  KlTimer *unanswered_timer; /* RFC 6223: the next keep-alive that awaits no answer */
  guint unanswered_s;        /* their interval, 0 when they are off */
  gint64 check_ms; /* the deadline of sipd_keepalive_check() in force, 0 if none */
  guint flow_timer_s;
  guint configured_s;
  gint64 suspect_floor_ms;
  gint64 ping_sent_ms;
  gint64 rtt_ms;
  SipdRtt rtt;
  gint64 stun_rto_ms;
  SipdStunTransactionId stun_id;
  GInetSocketAddress *mapped;
};

const char *
sipd_keepalive_state_to_string (SipdKeepaliveState state)
{
  switch (state) {
  case SIPD_KEEPALIVE_STATE_OFF:
    return "off";
  case SIPD_KEEPALIVE_STATE_SCHEDULED:
    return "scheduled";
  case SIPD_KEEPALIVE_STATE_AWAITING:
    return "awaiting";
  case SIPD_KEEPALIVE_STATE_SUSPECT:
    return "suspect";
  case SIPD_KEEPALIVE_STATE_FAILED:
    return "failed";
  }
  g_return_val_if_reached ("?");
}

SipdKeepaliveState
sipd_keepalive_state_next (SipdKeepaliveState state, SipdKeepaliveEvent event)
{
  if (state == SIPD_KEEPALIVE_STATE_FAILED)
    return state; /* the flow is gone; recovery is a new flow */
  switch (event) {
  case SIPD_KEEPALIVE_EVENT_STOP:
    return SIPD_KEEPALIVE_STATE_OFF;
  case SIPD_KEEPALIVE_EVENT_START:
    return state == SIPD_KEEPALIVE_STATE_OFF ? SIPD_KEEPALIVE_STATE_SCHEDULED : state;
  case SIPD_KEEPALIVE_EVENT_PING:
    return state == SIPD_KEEPALIVE_STATE_OFF || state == SIPD_KEEPALIVE_STATE_SCHEDULED
             ? SIPD_KEEPALIVE_STATE_AWAITING
             : state;
  case SIPD_KEEPALIVE_EVENT_ANSWER:
    return state == SIPD_KEEPALIVE_STATE_AWAITING || state == SIPD_KEEPALIVE_STATE_SUSPECT
             ? SIPD_KEEPALIVE_STATE_SCHEDULED
             : state;
  case SIPD_KEEPALIVE_EVENT_LATE:
    return state == SIPD_KEEPALIVE_STATE_AWAITING || state == SIPD_KEEPALIVE_STATE_SCHEDULED
             ? SIPD_KEEPALIVE_STATE_SUSPECT
             : state;
  case SIPD_KEEPALIVE_EVENT_DEADLINE:
    return state == SIPD_KEEPALIVE_STATE_AWAITING || state == SIPD_KEEPALIVE_STATE_SUSPECT
             ? SIPD_KEEPALIVE_STATE_FAILED
             : state;
  }
  g_return_val_if_reached (state);
}

G_GNUC_PRINTF (3, 4)
static void
keepalive_log (SipdKeepalive *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("flow %u", self->flow_id);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "FLOW", self->flow_id, prefix, format, args);
  va_end (args);
}

static void on_keepalive_due (gpointer user_data);
static void on_answer_deadline (gpointer user_data);
static void on_suspect_due (gpointer user_data);
static void on_stun_retransmit (gpointer user_data);
static void on_request_unanswered (gpointer user_data);
static void on_unanswered_due (gpointer user_data);

SipdKeepalive *
sipd_keepalive_new (KlClock *clock,
                    gboolean stream,
                    guint flow_id,
                    const SipdKeepaliveCallbacks *callbacks,
                    gpointer user_data)
{
  SipdKeepalive *self = g_new0 (SipdKeepalive, 1);

  self->clock = kl_clock_ref (clock);
  self->stream = stream;
  self->flow_id = flow_id;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->state = SIPD_KEEPALIVE_STATE_OFF;
  self->rtt_ms = -1;
  self->rtt = (SipdRtt) SIPD_RTT_INIT;
  self->suspect_floor_ms = SIPD_SUSPECT_FLOOR_DEFAULT_MS;
  self->keepalive_timer = kl_timer_new (clock, on_keepalive_due, self);
  self->deadline_timer = kl_timer_new (clock, on_answer_deadline, self);
  self->suspect_timer = kl_timer_new (clock, on_suspect_due, self);
  self->retransmit_timer = kl_timer_new (clock, on_stun_retransmit, self);
  self->request_timer = kl_timer_new (clock, on_request_unanswered, self);
  self->unanswered_timer = kl_timer_new (clock, on_unanswered_due, self);
  return self;
}

void
sipd_keepalive_free (SipdKeepalive *self)
{
  if (self == NULL)
    return;
  kl_timer_free (self->keepalive_timer);
  kl_timer_free (self->deadline_timer);
  kl_timer_free (self->suspect_timer);
  kl_timer_free (self->retransmit_timer);
  kl_timer_free (self->request_timer);
  kl_timer_free (self->unanswered_timer);
  g_clear_object (&self->mapped);
  kl_clock_unref (self->clock);
  g_free (self);
}

static void
stop_timers (SipdKeepalive *self)
{
  kl_timer_stop (self->keepalive_timer);
  kl_timer_stop (self->deadline_timer);
  kl_timer_stop (self->suspect_timer);
  kl_timer_stop (self->retransmit_timer);
  kl_timer_stop (self->request_timer);
}

static void
send_ping (SipdKeepalive *self)
{
  static const guint8 ping[] = "\r\n\r\n";
  g_autoptr (GBytes) bytes = NULL;

  if (self->stream)
    bytes = g_bytes_new_static (ping, 4);
  else
    bytes = sipd_stun_binding_request (&self->stun_id);
  self->callbacks.send (bytes, self->user_data);
}

gint64
sipd_keepalive_get_suspect_after_ms (SipdKeepalive *self)
{
  return sipd_rtt_suspect_after_ms (&self->rtt, self->suspect_floor_ms);
}

/* A first ping is out: its answer is due within 10 s, suspected after the
 * bound; on a stream the kernel is asked before that. */
static void
ping_out (SipdKeepalive *self)
{
  gint64 bound = sipd_keepalive_get_suspect_after_ms (self);

  kl_timer_stop (self->keepalive_timer);
  self->ping_sent_ms = kl_clock_now_ms (self->clock);
  self->check_ms = 0;
  kl_timer_start (self->deadline_timer, SIPD_PONG_TIMEOUT_MS);
  kl_timer_start (self->suspect_timer,
                  self->stream && self->callbacks.stalled != NULL ? MIN (bound, STALL_POLL_MS) : bound);
  if (!self->stream) {
    kl_random_bytes (self->stun_id.id, sizeof self->stun_id.id);
    self->stun_rto_ms = STUN_FIRST_RTO_MS;
    kl_timer_start (self->retransmit_timer, self->stun_rto_ms);
  }
  send_ping (self);
}

/* The answer came: the round trip, measured from the first ping (the longer
 * one when a second went out: never too short), and the next ping is due. */
static void
ping_answered (SipdKeepalive *self, SipdKeepaliveState was)
{
  stop_timers (self);
  self->check_ms = 0;
  self->rtt_ms = kl_clock_now_ms (self->clock) - self->ping_sent_ms;
  sipd_rtt_sample (&self->rtt, self->rtt_ms);
  kl_timer_start (self->keepalive_timer,
                  sipd_keepalive_interval_ms (self->clock, self->stream, self->flow_timer_s, self->configured_s));
  keepalive_log (self, was == SIPD_KEEPALIVE_STATE_SUSPECT ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_DEBUG,
                 "answered after %" G_GINT64_FORMAT " ms (smoothed %.0f ms, variance %.0f ms)%s", self->rtt_ms,
                 self->rtt.srtt_ms, self->rtt.rttvar_ms, was == SIPD_KEEPALIVE_STATE_SUSPECT ? ": no longer suspect" : "");
}

/* Every change of state goes through here; what the new state needs is done
 * here, and the owner is told last. */
static void
transition (SipdKeepalive *self, SipdKeepaliveEvent event, const char *reason)
{
  SipdKeepaliveState was = self->state;
  SipdKeepaliveState state = sipd_keepalive_state_next (was, event);

  if (state == was)
    return;
  self->state = state;
  if (state == SIPD_KEEPALIVE_STATE_SUSPECT || state == SIPD_KEEPALIVE_STATE_FAILED)
    keepalive_log (self, G_LOG_LEVEL_MESSAGE, "%s -> %s (%s)", sipd_keepalive_state_to_string (was),
                   sipd_keepalive_state_to_string (state), reason);
  switch (state) {
  case SIPD_KEEPALIVE_STATE_OFF:
    stop_timers (self);
    self->check_ms = 0;
    break;
  case SIPD_KEEPALIVE_STATE_SCHEDULED:
    if (was == SIPD_KEEPALIVE_STATE_OFF) {
      kl_timer_start (self->keepalive_timer,
                      sipd_keepalive_interval_ms (self->clock, self->stream, self->flow_timer_s, self->configured_s));
      break;
    }
    ping_answered (self, was);
    if (self->callbacks.answered != NULL)
      self->callbacks.answered (self->user_data);
    break;
  case SIPD_KEEPALIVE_STATE_AWAITING:
    ping_out (self);
    break;
  case SIPD_KEEPALIVE_STATE_SUSPECT:
    kl_timer_stop (self->suspect_timer);
    kl_timer_stop (self->request_timer);
    if (was == SIPD_KEEPALIVE_STATE_SCHEDULED)
      ping_out (self); /* an unanswered request: the ping starts the 10 s */
    else if (self->stream)
      send_ping (self); /* a second ping at once; STUN resends on its own */
    kl_timer_stop (self->suspect_timer);
    if (self->callbacks.suspect != NULL)
      self->callbacks.suspect (reason, self->user_data);
    break;
  case SIPD_KEEPALIVE_STATE_FAILED:
    stop_timers (self);
    self->callbacks.failed (reason, self->user_data);
    break;
  }
}

static void
on_keepalive_due (gpointer user_data)
{
  transition (user_data, SIPD_KEEPALIVE_EVENT_PING, "due");
}

static void
on_stun_retransmit (gpointer user_data)
{
  SipdKeepalive *self = user_data;

  send_ping (self);
  self->stun_rto_ms *= 2;
  kl_timer_start (self->retransmit_timer, self->stun_rto_ms);
}

static void
on_suspect_due (gpointer user_data)
{
  SipdKeepalive *self = user_data;
  gint64 bound = sipd_keepalive_get_suspect_after_ms (self);
  gint64 waited = kl_clock_now_ms (self->clock) - self->ping_sent_ms;
  g_autofree char *reason = NULL;

  if (waited >= bound) {
    reason = g_strdup_printf ("no answer to a keep-alive within %" G_GINT64_FORMAT " ms", bound);
  } else if (self->callbacks.stalled != NULL && self->callbacks.stalled (self->user_data)) {
    reason = g_strdup_printf ("the kernel cannot deliver the keep-alive, %" G_GINT64_FORMAT " ms after it",
                              waited);
  } else {
    kl_timer_start (self->suspect_timer, MIN (bound - waited, STALL_POLL_MS));
    return;
  }
  transition (self, SIPD_KEEPALIVE_EVENT_LATE, reason);
}

static void
on_request_unanswered (gpointer user_data)
{
  SipdKeepalive *self = user_data;
  g_autofree char *reason = g_strdup_printf ("a request had no answer within %" G_GINT64_FORMAT " ms",
                                             sipd_keepalive_get_suspect_after_ms (self));

  transition (self, SIPD_KEEPALIVE_EVENT_LATE, reason);
}

static void
on_answer_deadline (gpointer user_data)
{
  SipdKeepalive *self = user_data;
  g_autofree char *reason = NULL;

  if (self->check_ms > 0)
    reason = g_strdup_printf ("a request went unanswered, and so did a keep-alive within %" G_GINT64_FORMAT " ms",
                              self->check_ms);
  else
    reason = g_strdup (self->stream ? "no keep-alive pong within 10 s" : "no STUN keep-alive answer within 10 s");
  transition (self, SIPD_KEEPALIVE_EVENT_DEADLINE, reason);
}

static void
stop_unanswered (SipdKeepalive *self)
{
  self->unanswered_s = 0;
  kl_timer_stop (self->unanswered_timer);
}

void
sipd_keepalive_start (SipdKeepalive *self, guint flow_timer_s, guint configured_s, gint64 suspect_floor_ms)
{
  stop_unanswered (self);
  self->flow_timer_s = flow_timer_s;
  self->configured_s = configured_s;
  self->suspect_floor_ms = suspect_floor_ms > 0 ? suspect_floor_ms : SIPD_SUSPECT_FLOOR_DEFAULT_MS;
  if (self->state == SIPD_KEEPALIVE_STATE_SCHEDULED)
    kl_timer_start (self->keepalive_timer,
                    sipd_keepalive_interval_ms (self->clock, self->stream, flow_timer_s, configured_s));
  transition (self, SIPD_KEEPALIVE_EVENT_START, "started");
}

void
sipd_keepalive_stop (SipdKeepalive *self)
{
  stop_unanswered (self);
  transition (self, SIPD_KEEPALIVE_EVENT_STOP, "stopped");
}

/* RFC 6223 §4.3: once the server agreed (keep=N in the top Via of the 2xx),
 * the keep-alives of RFC 5626 (§3.5.1 for CRLF on streams, §4.4.2 for STUN
 * on UDP) go to it every N s, jittered as RFC 5626 §4.4.1 asks (80-100 %).
 * They keep the connection and NAT binding open; they are not RFC 5626's
 * flow-failure detection, which belongs to outbound's procedures (RFC 5626
 * §4.4.1, §4.5) that are not in use here. So nothing awaits an answer: a
 * pong or a STUN answer that comes is ignored, and none is not a failure. */
static void
send_unanswered (SipdKeepalive *self)
{
  if (!self->stream)
    kl_random_bytes (self->stun_id.id, sizeof self->stun_id.id);
  send_ping (self);
  kl_timer_start (self->unanswered_timer,
                  (gint64) (kl_clock_random (self->clock, 0.8, 1.0) * self->unanswered_s * 1000));
}

static void
on_unanswered_due (gpointer user_data)
{
  send_unanswered (user_data);
}

void
sipd_keepalive_start_unanswered (SipdKeepalive *self, guint interval_s)
{
  g_return_if_fail (interval_s > 0);
  transition (self, SIPD_KEEPALIVE_EVENT_STOP, "unanswered keep-alives instead");
  if (self->unanswered_s == interval_s && kl_timer_is_active (self->unanswered_timer))
    return; /* a refresh with the same keep=N: the schedule stays */
  self->unanswered_s = interval_s;
  kl_timer_start (self->unanswered_timer, (gint64) (kl_clock_random (self->clock, 0.8, 1.0) * interval_s * 1000));
}

void
sipd_keepalive_now (SipdKeepalive *self)
{
  if (self->unanswered_s > 0) {
    send_unanswered (self);
    return;
  }
  transition (self, SIPD_KEEPALIVE_EVENT_PING, "now");
}

gboolean
sipd_keepalive_check (SipdKeepalive *self, gint64 deadline_ms)
{
  gint64 due = kl_clock_now_ms (self->clock) + deadline_ms;

  if (!sipd_keepalive_is_on (self))
    return FALSE; /* off, or unanswered keep-alives that cannot check */
  sipd_keepalive_now (self);
  if (kl_timer_get_deadline_ms (self->deadline_timer) > due) {
    self->check_ms = deadline_ms;
    kl_timer_start (self->deadline_timer, deadline_ms);
  }
  return TRUE;
}

void
sipd_keepalive_pong (SipdKeepalive *self)
{
  transition (self, SIPD_KEEPALIVE_EVENT_ANSWER, "pong");
}

void
sipd_keepalive_receive_stun (SipdKeepalive *self, const guint8 *data, gsize length)
{
  g_autoptr (GError) error = NULL;
  SipdStunTransactionId id;
  g_autoptr (GInetSocketAddress) mapped = sipd_stun_parse_binding_response (data, length, &id, &error);
  g_autofree char *before = NULL;
  g_autofree char *now = NULL;
  g_autofree char *reason = NULL;
  gboolean out = self->state == SIPD_KEEPALIVE_STATE_AWAITING || self->state == SIPD_KEEPALIVE_STATE_SUSPECT;

  if (mapped == NULL) {
    keepalive_log (self, G_LOG_LEVEL_DEBUG, "ignored STUN message: %s", error->message);
    return;
  }
  if (!out || memcmp (id.id, self->stun_id.id, sizeof id.id) != 0)
    return; /* a late answer to an earlier request */

  if (self->mapped == NULL ||
      (g_inet_address_equal (g_inet_socket_address_get_address (mapped),
                             g_inet_socket_address_get_address (self->mapped)) &&
       g_inet_socket_address_get_port (mapped) == g_inet_socket_address_get_port (self->mapped))) {
    g_set_object (&self->mapped, mapped);
    transition (self, SIPD_KEEPALIVE_EVENT_ANSWER, "STUN answer");
    return;
  }
  before = sipd_socket_address_to_string (self->mapped);
  now = sipd_socket_address_to_string (mapped);
  reason = g_strdup_printf ("the server sees a new address: %s, was %s", now, before);
  /* no answer will do any more: the flow fails as at its deadline */
  transition (self, SIPD_KEEPALIVE_EVENT_DEADLINE, reason);
}

void
sipd_keepalive_request_sent (SipdKeepalive *self)
{
  if (!self->stream || self->state != SIPD_KEEPALIVE_STATE_SCHEDULED || kl_timer_is_active (self->request_timer))
    return;
  kl_timer_start (self->request_timer, sipd_keepalive_get_suspect_after_ms (self));
}

void
sipd_keepalive_heard (SipdKeepalive *self)
{
  kl_timer_stop (self->request_timer);
}

SipdKeepaliveState
sipd_keepalive_get_state (SipdKeepalive *self)
{
  return self->state;
}

gboolean
sipd_keepalive_is_on (SipdKeepalive *self)
{
  return self->state != SIPD_KEEPALIVE_STATE_OFF && self->state != SIPD_KEEPALIVE_STATE_FAILED;
}

/* The longest interval between two pings now; 0 while keep-alives are off. */
guint
sipd_keepalive_get_longest_s (SipdKeepalive *self)
{
  if (self->unanswered_s > 0)
    return self->unanswered_s;
  if (!sipd_keepalive_is_on (self))
    return 0;
  return sipd_keepalive_longest_s (self->stream, self->flow_timer_s, self->configured_s);
}

gint64
sipd_keepalive_get_rtt_ms (SipdKeepalive *self)
{
  return self->rtt_ms;
}
