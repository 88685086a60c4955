/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every timer of the daemons goes through a clock: the real one runs on the
 * GLib main loop; the fake one stands still until a test advances it, firing
 * the timers that fall due in order, so keep-alive, pong deadline, back-off and
 * TTL expiry are checked to the millisecond without waiting. The clock also owns
 * the randomness that timers are jittered with, so a fake clock's jitter is
 * repeatable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KlClock KlClock;
typedef struct _KlTimer KlTimer;
typedef void (*KlTimerFunc) (gpointer user_data);

KlClock *kl_clock_new (void);
KlClock *kl_clock_new_fake (guint32 seed);
KlClock *kl_clock_ref (KlClock *self);
void kl_clock_unref (KlClock *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlClock, kl_clock_unref)

gint64 kl_clock_now_ms (KlClock *self);
void kl_clock_advance (KlClock *self, gint64 ms);
double kl_clock_random (KlClock *self, double low, double high);

KlTimer *kl_timer_new (KlClock *clock, KlTimerFunc func, gpointer user_data);
void kl_timer_free (KlTimer *timer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTimer, kl_timer_free)

void kl_timer_start (KlTimer *timer, gint64 delay_ms);
void kl_timer_stop (KlTimer *timer);
gboolean kl_timer_is_active (KlTimer *timer);
gint64 kl_timer_get_deadline_ms (KlTimer *timer);

G_END_DECLS
