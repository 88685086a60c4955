/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An incoming call while it rings: 180 at once and every minute (RFC 3261
 * §13.3.1.1), 480 after "sip ring timeout", CANCEL from the caller, and the
 * phone's user answering or rejecting it. */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-call-private.h"

#include <string.h>

#include "sipd-call-input.h"
#include "sipd-error.h"

#define RING_REFRESH_MS 60000 /* RFC 3261 §13.3.1.1: a provisional answer every minute */

void
sipd_call_stop_ringing (SipdCall *self)
{
  if (self->ring_timer == NULL)
    return;
  kl_timer_stop (self->ring_timer);
  kl_timer_stop (self->ring_refresh_timer);
}

static void
on_ring_timeout (gpointer user_data)
{
  SipdCall *self = user_data;

  sipd_call_respond (self, self->invite_flow, self->invite, 480, NULL);
  sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, "no answer");
}

static void
on_ring_refresh (gpointer user_data)
{
  SipdCall *self = user_data;

  sipd_call_respond (self, self->invite_flow, self->invite, 180, NULL);
  kl_timer_start (self->ring_refresh_timer, RING_REFRESH_MS);
}

static gboolean
is_cancel_of_our_invite (SipdCall *self, SipdMessage *request)
{
  return self->incoming && strcmp (sipd_message_get_method (request), "CANCEL") == 0 &&
         g_strcmp0 (sipd_message_get_call_id (request), self->call_id) == 0 &&
         g_strcmp0 (sipd_message_get_branch (request), sipd_message_get_branch (self->invite)) == 0;
}

gboolean
sipd_call_take_cancel (SipdCall *self, SipdFlow *flow, SipdMessage *request)
{
  if (!is_cancel_of_our_invite (self, request))
    return FALSE;
  sipd_call_respond (self, flow, request, 200, NULL);
  if (self->state == SIPD_CALL_STATE_RINGING) {
    sipd_call_respond (self, self->invite_flow, self->invite, 487, NULL);
    sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, "cancelled by the caller");
  }
  return TRUE;
}

static gboolean
check_ringing_here (SipdCall *self, GError **error)
{
  if (self->incoming && self->state == SIPD_CALL_STATE_RINGING)
    return TRUE;
  g_set_error (error, SIPD_ERROR, SIPD_ERROR_WRONG_STATE, "not an incoming call that rings: it is %s %s",
               self->incoming ? "incoming and" : "outgoing and", sipd_call_state_to_string (self->state));
  return FALSE;
}

gboolean
sipd_call_answer (SipdCall *self, const char *sdp, GError **error)
{
  if (!check_ringing_here (self, error) || !sipd_sdp_check (sdp, error))
    return FALSE;
  sipd_call_stop_ringing (self);
  sipd_call_set_local_sdp (self, sdp);
  sipd_call_send_2xx (self, self->invite_flow, self->invite, sdp);
  sipd_call_set_state (self, SIPD_CALL_STATE_ACTIVE, "answered here");
  return TRUE;
}

gboolean
sipd_call_reject (SipdCall *self, guint code, GError **error)
{
  g_autofree char *why = NULL;

  if (!check_ringing_here (self, error))
    return FALSE;
  if (code < 400 || code > 699) {
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "a rejection is a status from 400 to 699, not %u",
                 code);
    return FALSE;
  }
  sipd_call_respond (self, self->invite_flow, self->invite, code, NULL);
  why = g_strdup_printf ("rejected here (%u)", code);
  sipd_call_set_state (self, SIPD_CALL_STATE_ENDED, why);
  return TRUE;
}

SipdCall *
sipd_call_new_incoming (const SipdCallParams *params,
                        SipdFlow *flow,
                        SipdMessage *invite,
                        const SipdCallCallbacks *callbacks,
                        gpointer user_data)
{
  SipdCall *self = sipd_call_new_common (params, callbacks, user_data);
  KlClock *clock = sipd_stack_get_clock (params->stack);
  const sip_from_t *from = sipd_message_get_sip (invite)->sip_from;
  g_autofree char *tag = sipd_random_token (12);
  g_autofree char *contact = sipd_stack_contact_uri (params->stack, flow, self->user, self->outbound);
  g_autofree char *contact_header = g_strdup_printf ("<%s>", contact);
  g_autofree char *remote_uri = sipd_message_print_uri (invite, from->a_url);
  g_autoptr (GBytes) body = sipd_message_get_body (invite);
  g_autofree char *sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *display_name = g_utf8_make_valid (from->a_display ? from->a_display : "", -1);
  gsize length = strlen (display_name);

  if (length >= 2 && display_name[0] == '"' && display_name[length - 1] == '"') {
    memmove (display_name, display_name + 1, length - 2);
    display_name[length - 2] = '\0';
  }
  self->incoming = TRUE;
  self->state = SIPD_CALL_STATE_RINGING;
  self->call_id = g_strdup (sipd_message_get_call_id (invite));
  self->invite_flow = sipd_flow_ref (flow);
  self->invite = sipd_message_ref (invite);
  self->dialog = sipd_dialog_new_uas (invite, tag, flow, contact_header);
  kl_sip_call1_set_direction (self->iface, "incoming");
  kl_sip_call1_set_state (self->iface, "ringing");
  kl_sip_call1_set_remote_uri (self->iface, remote_uri);
  kl_sip_call1_set_remote_display_name (self->iface, display_name);
  sipd_call_set_remote_sdp (self, sdp);
  sipd_call_respond (self, flow, invite, 180, NULL);
  self->ring_timer = kl_timer_new (clock, on_ring_timeout, self);
  self->ring_refresh_timer = kl_timer_new (clock, on_ring_refresh, self);
  kl_timer_start (self->ring_timer, (gint64) params->ring_timeout_s * 1000);
  kl_timer_start (self->ring_refresh_timer, RING_REFRESH_MS);
  g_message ("call %s: ringing, from %s", self->call_id, remote_uri);
  return self;
}
