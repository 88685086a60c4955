/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-keepalive"

#include "sipd-keepalive.h"

#include <string.h>

#include "kl-log.h"
#include "sipd-flow.h"
#include "sipd-stun.h"
#include "sipd-timing.h"

#define STUN_FIRST_RTO_MS 500

struct _SipdKeepalive {
  KlClock *clock;
  gboolean stream;
  guint flow_id;
  SipdKeepaliveCallbacks callbacks;
  gpointer user_data;

  KlTimer *keepalive_timer;
  KlTimer *deadline_timer;   /* pong or STUN answer due */
  KlTimer *retransmit_timer; /* STUN over UDP */
  gboolean on;
  gint64 check_ms; /* the deadline of sipd_keepalive_check() in force, 0 if none */
  guint flow_timer_s;
  guint configured_s;
  gboolean awaiting_answer;
  gint64 ping_sent_ms;
  gint64 rtt_ms;
  gint64 stun_rto_ms;
  SipdStunTransactionId stun_id;
  GInetSocketAddress *mapped;
};

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
static void on_stun_retransmit (gpointer user_data);

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
  self->rtt_ms = -1;
  self->keepalive_timer = kl_timer_new (clock, on_keepalive_due, self);
  self->deadline_timer = kl_timer_new (clock, on_answer_deadline, self);
  self->retransmit_timer = kl_timer_new (clock, on_stun_retransmit, self);
  return self;
}

void
sipd_keepalive_free (SipdKeepalive *self)
{
  if (self == NULL)
    return;
  kl_timer_free (self->keepalive_timer);
  kl_timer_free (self->deadline_timer);
  kl_timer_free (self->retransmit_timer);
  g_clear_object (&self->mapped);
  kl_clock_unref (self->clock);
  g_free (self);
}

static void
send_stun_request (SipdKeepalive *self)
{
  g_autoptr (GBytes) request = sipd_stun_binding_request (&self->stun_id);

  self->callbacks.send (request, self->user_data);
}

static void
on_keepalive_due (gpointer user_data)
{
  SipdKeepalive *self = user_data;
  static const guint8 ping[] = "\r\n\r\n";
  g_autoptr (GBytes) crlfcrlf = NULL;

  if (self->awaiting_answer)
    return;
  self->awaiting_answer = TRUE;
  self->ping_sent_ms = kl_clock_now_ms (self->clock);
  kl_timer_start (self->deadline_timer, SIPD_PONG_TIMEOUT_MS);

  if (!self->stream) {
    for (guint i = 0; i < SIPD_STUN_TRANSACTION_ID_SIZE; i++)
      self->stun_id.id[i] = (guint8) kl_clock_random (self->clock, 0, 256);
    self->stun_rto_ms = STUN_FIRST_RTO_MS;
    send_stun_request (self);
    kl_timer_start (self->retransmit_timer, self->stun_rto_ms);
    return;
  }
  crlfcrlf = g_bytes_new_static (ping, 4);
  self->callbacks.send (crlfcrlf, self->user_data);
}

static void
on_stun_retransmit (gpointer user_data)
{
  SipdKeepalive *self = user_data;

  if (!self->awaiting_answer)
    return;
  send_stun_request (self);
  self->stun_rto_ms *= 2;
  kl_timer_start (self->retransmit_timer, self->stun_rto_ms);
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
  sipd_keepalive_stop (self);
  self->callbacks.failed (reason, self->user_data);
}

/* The answer came: the round trip is measured, and the next ping is due. */
static void
answered (SipdKeepalive *self)
{
  self->awaiting_answer = FALSE;
  self->check_ms = 0;
  self->rtt_ms = kl_clock_now_ms (self->clock) - self->ping_sent_ms;
  kl_timer_stop (self->deadline_timer);
  kl_timer_stop (self->retransmit_timer);
  kl_timer_start (self->keepalive_timer,
                  sipd_keepalive_interval_ms (self->clock, self->stream, self->flow_timer_s, self->configured_s));
  keepalive_log (self, G_LOG_LEVEL_DEBUG, "answered after %" G_GINT64_FORMAT " ms", self->rtt_ms);
  if (self->callbacks.answered != NULL)
    self->callbacks.answered (self->user_data);
}

void
sipd_keepalive_start (SipdKeepalive *self, guint flow_timer_s, guint configured_s)
{
  self->flow_timer_s = flow_timer_s;
  self->configured_s = configured_s;
  self->on = TRUE;
  if (!self->awaiting_answer)
    kl_timer_start (self->keepalive_timer,
                    sipd_keepalive_interval_ms (self->clock, self->stream, flow_timer_s, configured_s));
}

void
sipd_keepalive_stop (SipdKeepalive *self)
{
  self->on = FALSE;
  self->awaiting_answer = FALSE;
  self->check_ms = 0;
  kl_timer_stop (self->keepalive_timer);
  kl_timer_stop (self->deadline_timer);
  kl_timer_stop (self->retransmit_timer);
}

void
sipd_keepalive_now (SipdKeepalive *self)
{
  if (self->awaiting_answer)
    return;
  kl_timer_stop (self->keepalive_timer);
  on_keepalive_due (self);
}

gboolean
sipd_keepalive_check (SipdKeepalive *self, gint64 deadline_ms)
{
  gint64 due = kl_clock_now_ms (self->clock) + deadline_ms;

  if (!self->on)
    return FALSE;
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
  if (self->awaiting_answer)
    answered (self);
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

  if (mapped == NULL) {
    keepalive_log (self, G_LOG_LEVEL_DEBUG, "ignored STUN message: %s", error->message);
    return;
  }
  if (!self->awaiting_answer || memcmp (id.id, self->stun_id.id, sizeof id.id) != 0)
    return; /* a late answer to an earlier request */

  if (self->mapped == NULL ||
      (g_inet_address_equal (g_inet_socket_address_get_address (mapped),
                             g_inet_socket_address_get_address (self->mapped)) &&
       g_inet_socket_address_get_port (mapped) == g_inet_socket_address_get_port (self->mapped))) {
    g_set_object (&self->mapped, mapped);
    answered (self);
    return;
  }
  before = sipd_socket_address_to_string (self->mapped);
  now = sipd_socket_address_to_string (mapped);
  reason = g_strdup_printf ("the server sees a new address: %s, was %s", now, before);
  sipd_keepalive_stop (self);
  self->callbacks.failed (reason, self->user_data);
}

gboolean
sipd_keepalive_is_on (SipdKeepalive *self)
{
  return self->on;
}

gint64
sipd_keepalive_get_rtt_ms (SipdKeepalive *self)
{
  return self->rtt_ms;
}
