/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-clock"

#include "kl-clock.h"

struct _KlClock {
  gboolean fake;
  gint64 fake_now_ms;
  GRand *rand;
  GList *fake_timers; /* active timers of a fake clock, in no order */
};

struct _KlTimer {
  KlClock *clock;
  KlTimerFunc func;
  gpointer user_data;
  gboolean active;
  gint64 deadline_ms;
  GSource *source; /* real clock only */
};

KlClock *
kl_clock_new (void)
{
  KlClock *self = g_atomic_rc_box_new0 (KlClock);

  self->rand = g_rand_new ();
  return self;
}

KlClock *
kl_clock_new_fake (guint32 seed)
{
  KlClock *self = g_atomic_rc_box_new0 (KlClock);

  self->fake = TRUE;
  self->fake_now_ms = 1000000;
  self->rand = g_rand_new_with_seed (seed);
  return self;
}

KlClock *
kl_clock_ref (KlClock *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
kl_clock_clear (KlClock *self)
{
  g_warn_if_fail (self->fake_timers == NULL);
  g_rand_free (self->rand);
}

void
kl_clock_unref (KlClock *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) kl_clock_clear);
}

gint64
kl_clock_now_ms (KlClock *self)
{
  return self->fake ? self->fake_now_ms : g_get_monotonic_time () / 1000;
}

double
kl_clock_random (KlClock *self, double low, double high)
{
  return g_rand_double_range (self->rand, low, high);
}

static KlTimer *
earliest_due (KlClock *self, gint64 until_ms)
{
  KlTimer *earliest = NULL;

  for (GList *l = self->fake_timers; l; l = l->next) {
    KlTimer *timer = l->data;
    if (timer->deadline_ms <= until_ms && (earliest == NULL || timer->deadline_ms < earliest->deadline_ms))
      earliest = timer;
  }
  return earliest;
}

void
kl_clock_advance (KlClock *self, gint64 ms)
{
  gint64 until = self->fake_now_ms + ms;
  KlTimer *timer;

  g_return_if_fail (self->fake);
  g_return_if_fail (ms >= 0);

  /* A fired timer may start others that fall due within the same advance. */
  while ((timer = earliest_due (self, until)) != NULL) {
    self->fake_now_ms = timer->deadline_ms;
    kl_timer_stop (timer);
    timer->func (timer->user_data);
  }
  self->fake_now_ms = until;
}

KlTimer *
kl_timer_new (KlClock *clock, KlTimerFunc func, gpointer user_data)
{
  KlTimer *timer = g_new0 (KlTimer, 1);

  timer->clock = kl_clock_ref (clock);
  timer->func = func;
  timer->user_data = user_data;
  return timer;
}

void
kl_timer_free (KlTimer *timer)
{
  kl_timer_stop (timer);
  kl_clock_unref (timer->clock);
  g_free (timer);
}

static gboolean
on_real_timeout (gpointer user_data)
{
  KlTimer *timer = user_data;

  kl_timer_stop (timer);
  timer->func (timer->user_data);
  return G_SOURCE_REMOVE;
}

void
kl_timer_start (KlTimer *timer, gint64 delay_ms)
{
  kl_timer_stop (timer);
  if (delay_ms < 0)
    delay_ms = 0;
  timer->active = TRUE;
  timer->deadline_ms = kl_clock_now_ms (timer->clock) + delay_ms;

  if (timer->clock->fake) {
    timer->clock->fake_timers = g_list_prepend (timer->clock->fake_timers, timer);
    return;
  }
  timer->source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_callback (timer->source, on_real_timeout, timer, NULL);
  g_source_set_name (timer->source, "kl-timer");
  g_source_attach (timer->source, NULL);
}

void
kl_timer_stop (KlTimer *timer)
{
  if (!timer->active)
    return;
  timer->active = FALSE;
  if (timer->clock->fake)
    timer->clock->fake_timers = g_list_remove (timer->clock->fake_timers, timer);
  if (timer->source != NULL) {
    g_source_destroy (timer->source);
    g_clear_pointer (&timer->source, g_source_unref);
  }
}

gboolean
kl_timer_is_active (KlTimer *timer)
{
  return timer->active;
}

gint64
kl_timer_get_deadline_ms (KlTimer *timer)
{
  return timer->deadline_ms;
}
