/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A SIP dialog (RFC 3261 §12): its identity (Call-ID, local and remote tag),
 * the URIs of both ends, the CSeq of each side, the remote target and the
 * route set, and the flow it was made on. It builds the requests sent within
 * it (§12.2.1.1, loose routing) and checks the order of those it receives. */
#pragma once

#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct {
  char *call_id;
  char *local_tag;
  char *remote_tag;
  char *local_party;  /* the From we send: display name and URI, no tag */
  char *remote_party; /* the To we send */
  guint32 local_cseq;
  guint32 remote_cseq; /* 0 before the first request from the far end */
  char *remote_target; /* the far end's Contact URI */
  GPtrArray *route_set; /* Route values, first hop first */
  SipdFlow *flow;
  gboolean flow_replaced; /* the flow it was made on failed; this is a new one */
  char *contact; /* our Contact header value */
} SipdDialog;

/* From our INVITE and a response to it with a To tag (1xx or 2xx). */
SipdDialog *sipd_dialog_new_uac (SipdMessage *invite, SipdMessage *response, SipdFlow *flow, const char *contact);
/* From an INVITE we received, with the tag we answer it with. */
SipdDialog *sipd_dialog_new_uas (SipdMessage *invite, const char *local_tag, SipdFlow *flow, const char *contact);
void sipd_dialog_free (SipdDialog *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdDialog, sipd_dialog_free)

/* A 2xx to a re-INVITE, or the first 2xx after an early dialog: the far end's
 * Contact is the new remote target (§12.2.1.2). */
void sipd_dialog_update_target (SipdDialog *self, SipdMessage *message);
/* Whether a request from the far end belongs to this dialog. */
gboolean sipd_dialog_matches_request (SipdDialog *self, SipdMessage *request);
/* FALSE for a request older than the last one (answer it 500, §12.2.2). */
gboolean sipd_dialog_accept_cseq (SipdDialog *self, SipdMessage *request);

/* A request within the dialog, without its Via: the caller adds Via and
 * anything more, and finishes it. ACK takes the CSeq of its INVITE; any other
 * method takes the next local CSeq. */
SipdBuilder *sipd_dialog_build_request (SipdDialog *self, const char *method, guint32 ack_cseq);
/* The flow to send within the dialog on: the one it was made on, or while
 * that is gone a new one to the same first hop (RFC 5626 §5.3). Over a new
 * flow, the first hop's own Route entries lose their flow token (the user
 * part): it names the flow that failed, and a proxy that finds its token on
 * another flow sends the request back down the dead one instead of on. */
SipdFlow *sipd_dialog_get_flow (SipdDialog *self, SipdStack *stack);

G_END_DECLS
