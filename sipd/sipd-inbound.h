/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests that reach the phone over its flows and belong to no call (the
 * calls see every request first): OPTIONS gets 200, MESSAGE 200 and a signal,
 * a new INVITE goes to the calls, an INVITE or BYE in an unknown dialog and a
 * CANCEL of no call 481; other methods 405, unknown ones 501. NOTIFY goes to
 * the subscriptions first; a message-summary NOTIFY outside a dialog then
 * to the line the Request-URI names, which shows it only when it came over
 * the line's own flow to its registrar or proxy (unsolicited MWI). A new INVITE or MESSAGE counts only over a flow
 * sipd opened to a server; from anyone else it gets 403. Every answer goes
 * back over the flow the request came in on. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdInbound SipdInbound;

typedef struct {
  /* The line whose user the Request-URI names, or 0. */
  guint (*find_line) (const char *user, gpointer user_data);
  /* TRUE when a subscription took the NOTIFY (and answered it). */
  gboolean (*notify) (SipdFlow *flow, SipdMessage *request, gpointer user_data);
  void (*message) (guint line, const char *from, const char *content_type, const char *body, gpointer user_data);
  /* a new INVITE for the line; the handler answers it */
  void (*invite) (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data);
  /* a message-summary NOTIFY outside any subscription for the line: TRUE
   * when the line took it (it came over the line's own flow) */
  gboolean (*unsolicited_mwi) (guint line, SipdFlow *flow, SipdMessage *request, gpointer user_data);
} SipdInboundHandlers;

SipdInbound *sipd_inbound_new (SipdStack *stack, const SipdInboundHandlers *handlers, gpointer user_data);
void sipd_inbound_free (SipdInbound *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdInbound, sipd_inbound_free)

void sipd_inbound_handle (SipdInbound *self, SipdFlow *flow, SipdMessage *request);
void sipd_inbound_respond (SipdStack *stack,
                           SipdFlow *flow,
                           SipdMessage *request,
                           guint status,
                           const char *reason,
                           const char *to_tag);

G_END_DECLS
