/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers a stranger must not guess — SIP branches, tags, Call-IDs, cnonces,
 * STUN transaction IDs, DNS query IDs, probe IDs — from the kernel's random
 * source (getrandom(2)). GLib's g_random_*() is a Mersenne Twister whose state
 * can be recovered from its output; it is for jitter only (kl-clock.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void kl_random_bytes (void *buffer, gsize length);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
guint32 kl_random_below (guint32 bound);

G_END_DECLS
