/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside a call: its fields, and what the call's own files share. The core
 * (sipd-call.c: state, dialog, outgoing INVITE, requests within the dialog,
 * hold) and the ringing of an incoming call (sipd-call-ringing.c). */
#pragma once

#include "sipd-2xx-sender.h"
#include "sipd-call.h"
#include "sipd-dialog.h"
#include "sipd-invite-out.h"

G_BEGIN_DECLS

struct _SipdCall {
  SipdStack *stack;
  SipdLine *line;
  char *object_path;
  char *user_agent;
  char *user;      /* of our Contact */
  gboolean outbound;
  SipdCallCallbacks callbacks;
  gpointer user_data;
  KlObjectSkeleton *object;
  KlSipCall1 *iface;

  gboolean incoming;
  SipdCallState state;
  char *call_id;
  char *local_sdp;
  SipdInviteOut *invite_out; /* outgoing */
  SipdDialog *dialog;        /* outgoing: once answered; incoming: from the start */

  /* incoming */
  SipdFlow *invite_flow;
  SipdMessage *invite;
  KlTimer *ring_timer;         /* "sip ring timeout" */
  KlTimer *ring_refresh_timer; /* a 180 every minute */

  Sipd2xxSender *ok_sender; /* our 2xx to an INVITE, until its ACK */

  guint bye_tx;
  gboolean bye_retried;

  /* a re-INVITE of ours */
  guint reinvite_tx;
  guint32 reinvite_cseq;
  SipdCallState reinvite_goal;
  char *reinvite_sdp;
  SipdCallDoneFunc reinvite_done;
  gpointer reinvite_data;
};

SipdCall *sipd_call_new_common (const SipdCallParams *params, const SipdCallCallbacks *callbacks, gpointer user_data);
/* Every change of the call's state goes through here. */
void sipd_call_set_state (SipdCall *self, SipdCallState state, const char *reason);
void sipd_call_set_remote_sdp (SipdCall *self, const char *sdp);
void sipd_call_set_local_sdp (SipdCall *self, const char *sdp);
void sipd_call_respond (SipdCall *self, SipdFlow *flow, SipdMessage *request, guint status, const char *sdp);
void sipd_call_send_2xx (SipdCall *self, SipdFlow *flow, SipdMessage *invite, const char *sdp);

/* sipd-call-ringing.c */
gboolean sipd_call_take_cancel (SipdCall *self, SipdFlow *flow, SipdMessage *request);
void sipd_call_stop_ringing (SipdCall *self);

G_END_DECLS
