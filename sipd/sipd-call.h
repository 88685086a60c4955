/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One call and its D-Bus object (org.keepline.Sip.Call1): where it is (one
 * enum, changed in one place), its dialog once there is one, and what the
 * far end and the D-Bus caller do to it. An outgoing call sends its INVITE
 * through sipd-invite-out.h; an incoming one rings (sipd-call-ringing.c) and
 * is answered with a 2xx that sipd retransmits until its ACK (§13.3.1.4).
 * Within the dialog: BYE both ways, re-INVITE for hold and resume from here,
 * and a re-INVITE from the far end answered with the SDP in force. */
#pragma once

#include "kl-dbus.h"
#include "sipd-line.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_CALL_STATE_DIALING,
  SIPD_CALL_STATE_PROCEEDING,
  SIPD_CALL_STATE_RINGING,
  SIPD_CALL_STATE_EARLY,
  SIPD_CALL_STATE_ACTIVE,
  SIPD_CALL_STATE_HELD,
  SIPD_CALL_STATE_ENDED,
} SipdCallState;

typedef struct _SipdCall SipdCall;

typedef struct {
  /* the state changed; for "ended", EndReason is set */
  void (*changed) (SipdCall *call, gpointer user_data);
} SipdCallCallbacks;

/* What a call is made with; copied. */
typedef struct {
  SipdStack *stack;
  SipdLine *line;
  const char *object_path;
  const char *user_agent;
  guint ring_timeout_s; /* incoming calls */
} SipdCallParams;

SipdCall *sipd_call_new_outgoing (const SipdCallParams *params,
                                  const char *target,
                                  const char *sdp,
                                  const SipdCallCallbacks *callbacks,
                                  gpointer user_data);
/* Rings at once: 180 Ringing over the flow the INVITE came on. */
SipdCall *sipd_call_new_incoming (const SipdCallParams *params,
                                  SipdFlow *flow,
                                  SipdMessage *invite,
                                  const SipdCallCallbacks *callbacks,
                                  gpointer user_data);
void sipd_call_free (SipdCall *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdCall, sipd_call_free)

KlObjectSkeleton *sipd_call_get_object (SipdCall *self);
const char *sipd_call_get_object_path (SipdCall *self);
SipdCallState sipd_call_get_state (SipdCall *self);
const char *sipd_call_state_to_string (SipdCallState state);
SipdLine *sipd_call_get_line (SipdCall *self);
const char *sipd_call_get_call_id (SipdCall *self);
/* Ended, and nothing left to send or wait for (a CANCEL's 487, an ACK). */
gboolean sipd_call_is_quiet (SipdCall *self);

/* A request that belongs to the call: in its dialog, or a CANCEL or ACK of
 * its INVITE. TRUE when the call took (and answered) it. */
gboolean sipd_call_handle_request (SipdCall *self, SipdFlow *flow, SipdMessage *request);
/* A line changed: an outgoing INVITE that waits for a path may go now. */
void sipd_call_line_changed (SipdCall *self);
/* What the D-Bus methods of the same names do; FALSE with the reason, and
 * nothing changed, when the call is not in a state for it. */
gboolean sipd_call_answer (SipdCall *self, const char *sdp, GError **error);
gboolean sipd_call_reject (SipdCall *self, guint code, GError **error);
gboolean sipd_call_hangup (SipdCall *self, GError **error);
/* Hold and Resume: a re-INVITE; done is called once with its outcome (NULL
 * error: the far end accepted). */
typedef void (*SipdCallDoneFunc) (SipdCall *call, const GError *error, gpointer user_data);
gboolean sipd_call_hold (SipdCall *self, const char *sdp, SipdCallDoneFunc done, gpointer user_data, GError **error);
gboolean sipd_call_resume (SipdCall *self, const char *sdp, SipdCallDoneFunc done, gpointer user_data, GError **error);
KlSipCall1 *sipd_call_get_iface (SipdCall *self);

/* sipd stops or the line is gone: BYE, CANCEL or 480 as the state needs. */
void sipd_call_end (SipdCall *self, const char *reason);

G_END_DECLS
