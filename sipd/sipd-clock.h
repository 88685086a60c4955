/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every timer of sipd goes through a clock: the real one runs on the GLib main
 * loop; the fake one stands still until a test advances it, firing the timers
 * that fall due in order, so keep-alive, pong deadline and back-off are checked
 * to the millisecond without waiting. The clock also owns the randomness that
 * timers are jittered with, so a fake clock's jitter is repeatable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SipdClock SipdClock;
typedef struct _SipdTimer SipdTimer;
typedef void (*SipdTimerFunc) (gpointer user_data);

SipdClock *sipd_clock_new (void);
SipdClock *sipd_clock_new_fake (guint32 seed);
SipdClock *sipd_clock_ref (SipdClock *self);
void sipd_clock_unref (SipdClock *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdClock, sipd_clock_unref)

gint64 sipd_clock_now_ms (SipdClock *self);
void sipd_clock_advance (SipdClock *self, gint64 ms);
double sipd_clock_random (SipdClock *self, double low, double high);

SipdTimer *sipd_timer_new (SipdClock *clock, SipdTimerFunc func, gpointer user_data);
void sipd_timer_free (SipdTimer *timer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdTimer, sipd_timer_free)

void sipd_timer_start (SipdTimer *timer, gint64 delay_ms);
void sipd_timer_stop (SipdTimer *timer);
gboolean sipd_timer_is_active (SipdTimer *timer);
gint64 sipd_timer_get_deadline_ms (SipdTimer *timer);

G_END_DECLS
