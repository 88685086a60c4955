/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-clock"

#include "sipd-clock.h"

struct _SipdClock {
  gboolean fake;
  gint64 fake_now_ms;
  GRand *rand;
  GList *fake_timers; /* active timers of a fake clock, in no order */
};

struct _SipdTimer {
  SipdClock *clock;
  SipdTimerFunc func;
  gpointer user_data;
  gboolean active;
  gint64 deadline_ms;
  GSource *source; /* real clock only */
};

SipdClock *
sipd_clock_new (void)
{
  SipdClock *self = g_atomic_rc_box_new0 (SipdClock);

  self->rand = g_rand_new ();
  return self;
}

SipdClock *
sipd_clock_new_fake (guint32 seed)
{
  SipdClock *self = g_atomic_rc_box_new0 (SipdClock);

  self->fake = TRUE;
  self->fake_now_ms = 1000000;
  self->rand = g_rand_new_with_seed (seed);
  return self;
}

SipdClock *
sipd_clock_ref (SipdClock *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
sipd_clock_clear (SipdClock *self)
{
  g_warn_if_fail (self->fake_timers == NULL);
  g_rand_free (self->rand);
}

void
sipd_clock_unref (SipdClock *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) sipd_clock_clear);
}

gint64
sipd_clock_now_ms (SipdClock *self)
{
  return self->fake ? self->fake_now_ms : g_get_monotonic_time () / 1000;
}

double
sipd_clock_random (SipdClock *self, double low, double high)
{
  return g_rand_double_range (self->rand, low, high);
}

static SipdTimer *
earliest_due (SipdClock *self, gint64 until_ms)
{
  SipdTimer *earliest = NULL;

  for (GList *l = self->fake_timers; l; l = l->next) {
    SipdTimer *timer = l->data;
    if (timer->deadline_ms <= until_ms && (earliest == NULL || timer->deadline_ms < earliest->deadline_ms))
      earliest = timer;
  }
  return earliest;
}

void
sipd_clock_advance (SipdClock *self, gint64 ms)
{
  gint64 until = self->fake_now_ms + ms;
  SipdTimer *timer;

  g_return_if_fail (self->fake);
  g_return_if_fail (ms >= 0);

  /* A fired timer may start others that fall due within the same advance. */
  while ((timer = earliest_due (self, until)) != NULL) {
    self->fake_now_ms = timer->deadline_ms;
    sipd_timer_stop (timer);
    timer->func (timer->user_data);
  }
  self->fake_now_ms = until;
}

SipdTimer *
sipd_timer_new (SipdClock *clock, SipdTimerFunc func, gpointer user_data)
{
  SipdTimer *timer = g_new0 (SipdTimer, 1);

  timer->clock = sipd_clock_ref (clock);
  timer->func = func;
  timer->user_data = user_data;
  return timer;
}

void
sipd_timer_free (SipdTimer *timer)
{
  sipd_timer_stop (timer);
  sipd_clock_unref (timer->clock);
  g_free (timer);
}

static gboolean
on_real_timeout (gpointer user_data)
{
  SipdTimer *timer = user_data;

  sipd_timer_stop (timer);
  timer->func (timer->user_data);
  return G_SOURCE_REMOVE;
}

void
sipd_timer_start (SipdTimer *timer, gint64 delay_ms)
{
  sipd_timer_stop (timer);
  if (delay_ms < 0)
    delay_ms = 0;
  timer->active = TRUE;
  timer->deadline_ms = sipd_clock_now_ms (timer->clock) + delay_ms;

  if (timer->clock->fake) {
    timer->clock->fake_timers = g_list_prepend (timer->clock->fake_timers, timer);
    return;
  }
  timer->source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_callback (timer->source, on_real_timeout, timer, NULL);
  g_source_set_name (timer->source, "sipd-timer");
  g_source_attach (timer->source, NULL);
}

void
sipd_timer_stop (SipdTimer *timer)
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
sipd_timer_is_active (SipdTimer *timer)
{
  return timer->active;
}

gint64
sipd_timer_get_deadline_ms (SipdTimer *timer)
{
  return timer->deadline_ms;
}
