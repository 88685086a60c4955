/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-call-private.h"

#include <sofia-sip/sip_status.h>
#include <string.h>

#include "sipd-call-iface.h"
#include "sipd-call-input.h"
#include "sipd-error.h"

#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY"

const char *
sipd_call_state_to_string (SipdCallState state)
{
  static const char *const names[] = { "dialing", "proceeding", "ringing", "early", "active", "held", "ended" };

  g_return_val_if_fail (state < G_N_ELEMENTS (names), "?");
  return names[state];
}

static void
finish_reinvite (SipdCall *self, GError *error)
{
  SipdCallDoneFunc done = self->reinvite_done;

  if (done == NULL)
    return;
  self->reinvite_done = NULL;
  done (self, error, self->reinvite_data);
}

/* Every change of the call's state goes through here. */
void
sipd_call_set_state (SipdCall *self, SipdCallState state, const char *reason)
{
  if (self->state == SIPD_CALL_STATE_ENDED || state == self->state)
    return;
  g_message ("call %s: %s -> %s (%s)", self->call_id, sipd_call_state_to_string (self->state),
             sipd_call_state_to_string (state), reason);
  self->state = state;
  if (state == SIPD_CALL_STATE_ENDED) {
    g_autoptr (GError) error = g_error_new (SIPD_ERROR, SIPD_ERROR_REFUSED, "the call ended: %s", reason);
    sipd_call_stop_ringing (self);
    finish_reinvite (self, error);
    kl_sip_call1_set_end_reason (self->iface, reason);
  }
  kl_sip_call1_set_state (self->iface, sipd_call_state_to_string (state));
  kl_sip_call1_emit_state_changed (self->iface, sipd_call_state_to_string (state), reason);
  self->callbacks.changed (self, self->user_data);
}

void
sipd_call_set_remote_sdp (SipdCall *self, const char *sdp)
{
  if (sdp != NULL && *sdp != '\0' && g_utf8_validate (sdp, -1, NULL) && sipd_sdp_check (sdp, NULL))
    kl_sip_call1_set_remote_sdp (self->iface, sdp);
  else if (sdp != NULL && *sdp != '\0')
    g_message ("call %s: ignored an SDP from the far end that does not parse", self->call_id);
}

void
sipd_call_set_local_sdp (SipdCall *self, const char *sdp)
{
  g_free (self->local_sdp);
  self->local_sdp = g_strdup (sdp);
  kl_sip_call1_set_local_sdp (self->iface, sdp);
}

static gboolean
is_answered (SipdCall *self)
{
  return self->state == SIPD_CALL_STATE_ACTIVE || self->state == SIPD_CALL_STATE_HELD;
}

/* Requests within the dialog */

static guint
send_in_dialog (SipdCall *self, const char *method, const char *sdp, SipdResponseFunc func, gpointer data)
{
  g_autofree char *branch = sipd_new_branch ();
  SipdFlow *flow = sipd_dialog_get_flow (self->dialog, self->stack);
  g_autofree char *via = sipd_stack_via (self->stack, flow, branch);
  SipdBuilder *builder = sipd_dialog_build_request (self->dialog, method, 0);
  g_autoptr (GBytes) request = NULL;

  sipd_builder_add (builder, "Via", "%s", via);
  if (strcmp (method, "INVITE") == 0)
    sipd_builder_add (builder, "Allow", ALLOW);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  request = sipd_builder_finish (builder, "application/sdp", sdp);
  return sipd_stack_send_request (self->stack, flow, method, branch, request, func, data);
}

static void
send_ack (SipdCall *self, guint32 cseq)
{
  g_autofree char *branch = sipd_new_branch ();
  SipdFlow *flow = sipd_dialog_get_flow (self->dialog, self->stack);
  g_autofree char *via = sipd_stack_via (self->stack, flow, branch);
  SipdBuilder *builder = sipd_dialog_build_request (self->dialog, "ACK", cseq);
  g_autoptr (GBytes) ack = NULL;

  sipd_builder_add (builder, "Via", "%s", via);
  ack = sipd_builder_finish (builder, NULL, NULL);
  sipd_flow_send (flow, ack);
}

static void send_bye (SipdCall *self);

/* The BYE's flow failed under it, or a 430 says the edge proxy lost our flow
 * (RFC 5626 §11.6): the BYE goes once more, over a new flow to the same
 * first hop. */
static void
on_bye_answered (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdCall *self = user_data;
  gboolean flow_lost = response == NULL ? g_str_has_prefix (failure, "flow failed")
                                        : sipd_message_get_status (response) == 430;

  self->bye_tx = 0;
  if (!flow_lost || self->bye_retried)
    return;
  self->bye_retried = TRUE;
  if (response != NULL)
    sipd_flow_fail (self->dialog->flow, "430 Flow Failed");
  g_message ("call %s: the BYE's flow failed; sending it again over a new one", self->call_id);
  send_bye (self);
}

static void
send_bye (SipdCall *self)
{
  self->bye_tx = send_in_dialog (self, "BYE", NULL, on_bye_answered, self);
}

/* Answers */

static void
copy_record_routes (SipdBuilder *builder, SipdMessage *request)
{
  for (const sip_record_route_t *rr = sipd_message_get_sip (request)->sip_record_route; rr != NULL; rr = rr->r_next) {
    g_autofree char *text = sipd_message_print_header (request, rr);
    sipd_builder_add (builder, "Record-Route", "%s", text);
  }
}

/* A response to a request of the dialog, or to the INVITE that makes it. */
static GBytes *
build_response (SipdCall *self, SipdMessage *request, guint status, const char *sdp)
{
  SipdBuilder *builder = sipd_builder_new_response (request, status, sip_status_phrase ((int) status),
                                                    self->dialog->local_tag);

  if (status > 100 && status < 300 && strcmp (sipd_message_get_method (request), "INVITE") == 0) {
    copy_record_routes (builder, request);
    sipd_builder_add (builder, "Contact", "%s", self->dialog->contact);
    sipd_builder_add (builder, "Allow", ALLOW);
  }
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  return sipd_builder_finish (builder, "application/sdp", sdp);
}

void
sipd_call_respond (SipdCall *self, SipdFlow *flow, SipdMessage *request, guint status, const char *sdp)
{
  g_autoptr (GBytes) response = build_response (self, request, status, sdp);

  sipd_stack_respond (self->stack, flow, request, response);
}

static void
on_no_ack (gpointer user_data)
{
  SipdCall *self = user_data;

  send_bye (self);
  sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, "no ACK from the far end");
}

void
sipd_call_send_2xx (SipdCall *self, SipdFlow *flow, SipdMessage *invite, const char *sdp)
{
  g_autoptr (GBytes) response = build_response (self, invite, 200, sdp);

  sipd_2xx_sender_send (self->ok_sender, flow, invite, response);
}

/* The outgoing INVITE */

/* A bare number goes to the domain of the servers in use: it may change. */
static void
show_target (SipdCall *self)
{
  const char *target = sipd_invite_out_get_target (self->invite_out);

  if (target != NULL)
    kl_sip_call1_set_remote_uri (self->iface, target);
}

static void
on_invite_progress (SipdInviteOut *invite, guint status, const char *reason, const char *sdp, gpointer user_data)
{
  SipdCall *self = user_data;
  g_autofree char *why = g_strdup_printf ("%u %s", status, reason);

  show_target (self);
  if (status == 100) {
    if (self->state == SIPD_CALL_STATE_DIALING)
      sipd_call_set_state (self, SIPD_CALL_STATE_PROCEEDING, why);
    return;
  }
  if (sdp != NULL) {
    sipd_call_set_remote_sdp (self, sdp);
    sipd_call_set_state (self, SIPD_CALL_STATE_EARLY, why);
  } else if (self->state != SIPD_CALL_STATE_EARLY) {
    sipd_call_set_state (self, SIPD_CALL_STATE_RINGING, why);
  }
}

static void
on_invite_rerouted (SipdInviteOut *invite, const char *reason, gpointer user_data)
{
  SipdCall *self = user_data;

  show_target (self);
  sipd_call_set_state (self, SIPD_CALL_STATE_PROCEEDING, reason);
}

static void
on_invite_answered (SipdInviteOut *invite, SipdDialog *dialog, const char *sdp, gpointer user_data)
{
  SipdCall *self = user_data;

  self->dialog = dialog;
  sipd_call_set_remote_sdp (self, sdp);
  sipd_call_set_state (self, SIPD_CALL_STATE_ACTIVE, "200 OK");
}

static void
on_invite_failed (SipdInviteOut *invite, guint status, const char *reason, gpointer user_data)
{
  sipd_call_set_state (user_data, SIPD_CALL_STATE_ENDED, reason);
}

static const SipdInviteOutCallbacks invite_callbacks = {
  on_invite_progress, on_invite_rerouted, on_invite_answered, on_invite_failed,
};

/* Re-INVITE for hold and resume */

static void
on_reinvite_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdCall *self = user_data;
  guint status = response ? sipd_message_get_status (response) : 0;
  g_autoptr (GError) error = NULL;

  if (response != NULL && status < 200)
    return;
  if (status >= 200 && status < 300) {
    g_autoptr (GBytes) body = sipd_message_get_body (response);
    g_autofree char *sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

    send_ack (self, self->reinvite_cseq); /* again for each retransmitted 2xx */
    if (self->reinvite_sdp == NULL)
      return;
    sipd_dialog_update_target (self->dialog, response);
    sipd_call_set_local_sdp (self, self->reinvite_sdp);
    g_clear_pointer (&self->reinvite_sdp, g_free);
    sipd_call_set_remote_sdp (self, sdp);
    sipd_call_set_state (self, self->reinvite_goal, self->reinvite_goal == SIPD_CALL_STATE_HELD ? "on hold" : "resumed");
    finish_reinvite (self, NULL);
    return;
  }
  self->reinvite_tx = 0;
  g_clear_pointer (&self->reinvite_sdp, g_free);
  if (status == 481 || status == 408) {
    g_autofree char *why = g_strdup_printf ("the far end lost the call (%u)", status);
    sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, why);
    return;
  }
  if (response != NULL)
    error = g_error_new (SIPD_ERROR, SIPD_ERROR_REFUSED, "%u %s", status, sipd_message_get_reason (response));
  else
    error = g_error_new (SIPD_ERROR, SIPD_ERROR_REFUSED, "%s", failure);
  finish_reinvite (self, error);
}

static gboolean
start_reinvite (SipdCall *self, const char *sdp, SipdCallState goal, GError **error)
{
  SipdCallState needed = goal == SIPD_CALL_STATE_HELD ? SIPD_CALL_STATE_ACTIVE : SIPD_CALL_STATE_HELD;

  if (self->state != needed) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_WRONG_STATE, "the call is %s, not %s",
                 sipd_call_state_to_string (self->state), sipd_call_state_to_string (needed));
    return FALSE;
  }
  if (self->reinvite_sdp != NULL) {
    g_set_error_literal (error, SIPD_ERROR, SIPD_ERROR_WRONG_STATE, "a re-INVITE is under way");
    return FALSE;
  }
  if (!sipd_sdp_check (sdp, error))
    return FALSE;
  if (self->reinvite_tx != 0)
    sipd_stack_cancel_request (self->stack, self->reinvite_tx);
  self->reinvite_goal = goal;
  self->reinvite_sdp = g_strdup (sdp);
  self->reinvite_cseq = self->dialog->local_cseq + 1;
  self->reinvite_tx = send_in_dialog (self, "INVITE", sdp, on_reinvite_response, self);
  return TRUE;
}

/* What the far end sends */

static void
take_reinvite (SipdCall *self, SipdFlow *flow, SipdMessage *request)
{
  g_autoptr (GBytes) body = sipd_message_get_body (request);
  g_autofree char *sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  if (!is_answered (self) || self->reinvite_sdp != NULL || sipd_2xx_sender_is_sending (self->ok_sender)) {
    sipd_call_respond (self, flow, request, 491, NULL); /* §14.2: one offer at a time */
    return;
  }
  if (*sdp != '\0' && !sipd_sdp_check (sdp, NULL)) {
    sipd_call_respond (self, flow, request, 488, NULL);
    return;
  }
  sipd_dialog_update_target (self->dialog, request);
  sipd_call_set_remote_sdp (self, sdp);
  sipd_call_send_2xx (self, flow, request, self->local_sdp);
}

static void
take_ack (SipdCall *self, SipdMessage *ack)
{
  g_autoptr (GBytes) body = sipd_message_get_body (ack);

  if (!sipd_2xx_sender_take_ack (self->ok_sender, ack))
    return;
  if (g_bytes_get_size (body) > 0) {
    g_autofree char *sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    sipd_call_set_remote_sdp (self, sdp);
  }
}

static void
take_in_dialog (SipdCall *self, SipdFlow *flow, SipdMessage *request)
{
  const char *method = sipd_message_get_method (request);

  if (!sipd_dialog_accept_cseq (self->dialog, request)) {
    sipd_call_respond (self, flow, request, 500, NULL); /* §12.2.2: out of order */
    return;
  }
  if (strcmp (method, "ACK") == 0) {
    take_ack (self, request);
  } else if (strcmp (method, "BYE") == 0) {
    sipd_call_respond (self, flow, request, 200, NULL);
    sipd_2xx_sender_stop (self->ok_sender);
    if (self->incoming && self->state == SIPD_CALL_STATE_RINGING)
      sipd_call_respond (self, self->invite_flow, self->invite, 487, NULL);
    sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, "hung up by the far end");
  } else if (strcmp (method, "INVITE") == 0) {
    take_reinvite (self, flow, request);
  } else if (strcmp (method, "OPTIONS") == 0 || strcmp (method, "INFO") == 0) {
    sipd_call_respond (self, flow, request, 200, NULL);
  } else {
    sipd_call_respond (self, flow, request, 501, NULL);
  }
}

gboolean
sipd_call_handle_request (SipdCall *self, SipdFlow *flow, SipdMessage *request)
{
  if (sipd_call_take_cancel (self, flow, request))
    return TRUE;
  if (self->dialog == NULL || !sipd_dialog_matches_request (self->dialog, request))
    return FALSE;
  take_in_dialog (self, flow, request);
  return TRUE;
}

/* What the phone's user does */

void
sipd_call_end (SipdCall *self, const char *reason)
{
  switch (self->state) {
  case SIPD_CALL_STATE_ENDED:
    return;
  case SIPD_CALL_STATE_ACTIVE:
  case SIPD_CALL_STATE_HELD:
    sipd_2xx_sender_stop (self->ok_sender);
    send_bye (self);
    break;
  case SIPD_CALL_STATE_DIALING:
  case SIPD_CALL_STATE_PROCEEDING:
  case SIPD_CALL_STATE_RINGING:
  case SIPD_CALL_STATE_EARLY:
    if (self->incoming)
      sipd_call_respond (self, self->invite_flow, self->invite, 480, NULL);
    else
      sipd_invite_out_cancel (self->invite_out);
    break;
  }
  sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, reason);
}

gboolean
sipd_call_hangup (SipdCall *self, GError **error)
{
  if (self->state == SIPD_CALL_STATE_ENDED) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_WRONG_STATE, "the call has ended: %s",
                 kl_sip_call1_get_end_reason (self->iface));
    return FALSE;
  }
  if (self->incoming && self->state == SIPD_CALL_STATE_RINGING) {
    sipd_call_respond (self, self->invite_flow, self->invite, 486, NULL);
    sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, "rejected here (486)");
  } else {
    sipd_call_end (self, is_answered (self) ? "hung up here" : "cancelled here");
  }
  return TRUE;
}

gboolean
sipd_call_hold (SipdCall *self, const char *sdp, SipdCallDoneFunc done, gpointer user_data, GError **error)
{
  if (!start_reinvite (self, sdp, SIPD_CALL_STATE_HELD, error))
    return FALSE;
  self->reinvite_done = done;
  self->reinvite_data = user_data;
  return TRUE;
}

gboolean
sipd_call_resume (SipdCall *self, const char *sdp, SipdCallDoneFunc done, gpointer user_data, GError **error)
{
  if (!start_reinvite (self, sdp, SIPD_CALL_STATE_ACTIVE, error))
    return FALSE;
  self->reinvite_done = done;
  self->reinvite_data = user_data;
  return TRUE;
}

/* Lifetime */

SipdCall *
sipd_call_new_common (const SipdCallParams *params, const SipdCallCallbacks *callbacks, gpointer user_data)
{
  SipdCall *self = g_new0 (SipdCall, 1);
  const SipdLineSettings *settings = sipd_line_get_settings (params->line);

  self->stack = params->stack;
  self->line = params->line;
  self->object_path = g_strdup (params->object_path);
  self->user_agent = g_strdup (params->user_agent);
  self->user = g_strdup (settings->user);
  self->outbound = settings->outbound;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->ok_sender = sipd_2xx_sender_new (params->stack, on_no_ack, self);
  self->object = kl_object_skeleton_new (self->object_path);
  self->iface = kl_sip_call1_skeleton_new ();
  kl_sip_call1_set_line (self->iface, sipd_line_get_object_path (params->line));
  kl_sip_call1_set_start_time (self->iface, g_get_real_time ());
  kl_sip_call1_set_local_sdp (self->iface, "");
  kl_sip_call1_set_remote_sdp (self->iface, "");
  kl_sip_call1_set_end_reason (self->iface, "");
  kl_sip_call1_set_remote_display_name (self->iface, "");
  kl_object_skeleton_set_sip_call1 (self->object, self->iface);
  sipd_call_iface_connect (self->iface, self);
  return self;
}

SipdCall *
sipd_call_new_outgoing (const SipdCallParams *params,
                        const char *target,
                        const char *sdp,
                        const SipdCallCallbacks *callbacks,
                        gpointer user_data)
{
  SipdCall *self = sipd_call_new_common (params, callbacks, user_data);
  const SipdLineSettings *settings = sipd_line_get_settings (params->line);
  SipdInviteOutParams invite = {
    .target = target,
    .sdp = sdp,
    .user = settings->user,
    .display_name = settings->display_name,
    .auth_user = settings->auth_user,
    .password = settings->password,
    .outbound = settings->outbound,
    .user_agent = params->user_agent,
  };

  self->state = SIPD_CALL_STATE_DIALING;
  self->invite_out = sipd_invite_out_new (params->stack, params->line, &invite, &invite_callbacks, self);
  self->call_id = g_strdup (sipd_invite_out_get_call_id (self->invite_out));
  sipd_call_set_local_sdp (self, sdp);
  kl_sip_call1_set_direction (self->iface, "outgoing");
  kl_sip_call1_set_state (self->iface, "dialing");
  kl_sip_call1_set_remote_uri (self->iface, target);
  sipd_invite_out_start (self->invite_out);
  show_target (self);
  return self;
}

void
sipd_call_free (SipdCall *self)
{
  g_autoptr (GError) error = g_error_new_literal (SIPD_ERROR, SIPD_ERROR_REFUSED, "the call is gone");

  finish_reinvite (self, error);
  if (self->reinvite_tx != 0)
    sipd_stack_cancel_request (self->stack, self->reinvite_tx);
  if (self->bye_tx != 0)
    sipd_stack_cancel_request (self->stack, self->bye_tx);
  sipd_2xx_sender_stop (self->ok_sender);
  g_clear_pointer (&self->invite_out, sipd_invite_out_free);
  g_clear_pointer (&self->dialog, sipd_dialog_free);
  g_clear_pointer (&self->invite_flow, sipd_flow_unref);
  g_clear_pointer (&self->invite, sipd_message_unref);
  g_clear_pointer (&self->ring_timer, kl_timer_free);
  g_clear_pointer (&self->ring_refresh_timer, kl_timer_free);
  sipd_2xx_sender_free (self->ok_sender);
  g_signal_handlers_disconnect_by_data (self->iface, self);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_free (self->object_path);
  g_free (self->user_agent);
  g_free (self->user);
  g_free (self->call_id);
  g_free (self->local_sdp);
  g_free (self->reinvite_sdp);
  g_free (self);
}

KlObjectSkeleton *
sipd_call_get_object (SipdCall *self)
{
  return self->object;
}

KlSipCall1 *
sipd_call_get_iface (SipdCall *self)
{
  return self->iface;
}

const char *
sipd_call_get_object_path (SipdCall *self)
{
  return self->object_path;
}

SipdCallState
sipd_call_get_state (SipdCall *self)
{
  return self->state;
}

SipdLine *
sipd_call_get_line (SipdCall *self)
{
  return self->line;
}

const char *
sipd_call_get_call_id (SipdCall *self)
{
  return self->call_id;
}

gboolean
sipd_call_is_quiet (SipdCall *self)
{
  return self->state == SIPD_CALL_STATE_ENDED && !sipd_2xx_sender_is_sending (self->ok_sender) &&
         (self->invite_out == NULL || sipd_invite_out_is_quiet (self->invite_out));
}

void
sipd_call_line_changed (SipdCall *self)
{
  if (self->invite_out != NULL && self->state != SIPD_CALL_STATE_ENDED)
    sipd_invite_out_line_changed (self->invite_out);
}
