/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An outgoing INVITE out of any dialog, from Dial() to its final answer. It
 * goes where the line sends new requests (sipd_line_get_request_path). When
 * that server does not answer — its flow fails, Timer B runs out, or nothing
 * comes within T1 and a keep-alive check of the flow then fails — or it
 * answers 503 or 408 and the line fails over, the same INVITE (same Call-ID
 * and From tag, new branch and CSeq) goes again through the line's new
 * path: with the dual flow at once, otherwise once the line is registered
 * there. It answers 401 and 407 (a proxy's and then a registrar's), follows
 * one 3xx, and sends CANCEL when asked once a provisional answer came.
 *
 * The first 2xx makes the dialog; every other 2xx (another fork, or one that
 * comes after a CANCEL) is acknowledged and ended with BYE (RFC 3261
 * §13.2.2.4). */
#pragma once

#include "sipd-dialog.h"
#include "sipd-line.h"

G_BEGIN_DECLS

typedef struct _SipdInviteOut SipdInviteOut;

typedef struct {
  const char *target; /* Request-URI: a SIP URI, or a bare number or user that
                       * goes to the domain of the line's AOR in use, which
                       * may change when the INVITE goes again */
  const char *sdp;
  const char *user;   /* of the Contact */
  const char *display_name;
  const char *auth_user;
  const char *password;
  gboolean outbound;  /* ;ob in the Contact */
  const char *user_agent;
} SipdInviteOutParams;

typedef struct {
  /* a provisional answer; sdp is the early media's, or NULL */
  void (*progress) (SipdInviteOut *invite, guint status, const char *reason, const char *sdp, gpointer user_data);
  /* no answer from a server: sent again through another (reason says why) */
  void (*rerouted) (SipdInviteOut *invite, const char *reason, gpointer user_data);
  /* the first 2xx: the dialog, now the caller's */
  void (*answered) (SipdInviteOut *invite, SipdDialog *dialog, const char *sdp, gpointer user_data);
  /* the final answer was not a 2xx, or no server answered: why, in words */
  void (*failed) (SipdInviteOut *invite, guint status, const char *reason, gpointer user_data);
} SipdInviteOutCallbacks;

SipdInviteOut *sipd_invite_out_new (SipdStack *stack,
                                    SipdLine *line,
                                    const SipdInviteOutParams *params,
                                    const SipdInviteOutCallbacks *callbacks,
                                    gpointer user_data);
void sipd_invite_out_free (SipdInviteOut *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdInviteOut, sipd_invite_out_free)

/* Sends it, or waits for the line to have a path. */
void sipd_invite_out_start (SipdInviteOut *self);
/* The line changed: a waiting INVITE may find a path now. */
void sipd_invite_out_line_changed (SipdInviteOut *self);
/* Hung up before the answer: CANCEL now, or as soon as a provisional answer
 * allows; a 2xx that comes anyway is acknowledged and ended with BYE. */
void sipd_invite_out_cancel (SipdInviteOut *self);
/* Nothing more to send or wait for: it may be freed without loss. */
gboolean sipd_invite_out_is_quiet (SipdInviteOut *self);
const char *sipd_invite_out_get_call_id (SipdInviteOut *self);
/* The Request-URI of the last attempt, or NULL before the first. */
const char *sipd_invite_out_get_target (SipdInviteOut *self);
/* How many times it went out: 1 plus reroutes, 3xx and challenges. */
guint sipd_invite_out_get_attempts (SipdInviteOut *self);

G_END_DECLS
