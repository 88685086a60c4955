/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIP OPTIONS to the server at the other end of a flow, as a keep-alive that
 * needs no pong: for registrars and proxies without RFC 5626, which answer
 * neither a CRLF ping nor STUN. Any final response, even 404 or 405, says the
 * server lives; none within "sip transaction timer", or a failed flow, says
 * it does not.
 * Every interval_s (a random 80-100 % of it), or once with interval_s 0. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdOptionsPing SipdOptionsPing;

typedef struct {
  void (*answered) (guint status, gpointer user_data);
  void (*failed) (const char *reason, gpointer user_data);
} SipdOptionsPingCallbacks;

/* from: the phone's AOR, the From of each OPTIONS */
SipdOptionsPing *sipd_options_ping_new (SipdStack *stack,
                                        SipdFlow *flow,
                                        const char *from,
                                        guint interval_s,
                                        const SipdOptionsPingCallbacks *callbacks,
                                        gpointer user_data);
void sipd_options_ping_free (SipdOptionsPing *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdOptionsPing, sipd_options_ping_free)

/* An OPTIONS now, unless one is under way. */
void sipd_options_ping_now (SipdOptionsPing *self);

G_END_DECLS
