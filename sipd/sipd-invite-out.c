/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-invite-out.h"

#include <string.h>

#include "kl-random.h"
#include "sipd-auth.h"
#include "sipd-call-input.h"

#define MAX_REDIRECTS 1 /* "3xx followed once": a loop of redirects ends here */
#define MAX_REROUTES 3  /* primary, backup, and one more move of the line */
#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY"

typedef enum {
  INVITE_IDLE,
  INVITE_WAITING_FOR_PATH, /* the line has no flow up: wait for it to register */
  INVITE_CALLING,          /* sent, nothing back yet */
  INVITE_PROCEEDING,       /* a provisional answer came */
  INVITE_ANSWERED,         /* the first 2xx came: the dialog is the caller's */
  INVITE_DONE,             /* failed, or cancelled and its final answer came */
} InviteState;

struct _SipdInviteOut {
  SipdStack *stack;
  SipdLine *line;
  SipdInviteOutCallbacks callbacks;
  gpointer user_data;

  char *target;
  char *target_user; /* a bare number: the domain is the path's */
  char *sdp;
  char *user;
  char *display_name;
  char *auth_user;
  char *password;
  gboolean outbound;
  char *user_agent;

  char *call_id;
  char *from_tag;
  guint32 cseq;
  InviteState state;
  guint tx;             /* the INVITE transaction, 0 when none */
  SipdFlow *flow;       /* what it went over last */
  SipdFlow *avoid;      /* a flow that left it unanswered */
  SipdMessage *request; /* the INVITE sent last */
  char *branch;
  char *route;
  SipdAuth auth;
  guint attempts;
  guint redirects;
  guint reroutes;
  gboolean cancelled;    /* the caller hung up: nothing more is reported */
  gboolean cancel_sent;
  char *answered_tag;    /* To tag of the 2xx that made the dialog */
  GBytes *ack;           /* the ACK of that 2xx, sent again for its retransmissions */
  char *unanswered;      /* why the last server did not answer */
  KlTimer *provisional_timer;
  KlTimer *path_timer;
};

static void send_invite (SipdInviteOut *self);

static void on_provisional_due (gpointer user_data);
static void on_path_timeout (gpointer user_data);

SipdInviteOut *
sipd_invite_out_new (SipdStack *stack,
                     SipdLine *line,
                     const SipdInviteOutParams *params,
                     const SipdInviteOutCallbacks *callbacks,
                     gpointer user_data)
{
  SipdInviteOut *self = g_new0 (SipdInviteOut, 1);
  KlClock *clock = sipd_stack_get_clock (stack);

  self->stack = stack;
  self->line = line;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  if (sipd_call_target_is_user (params->target))
    self->target_user = g_strdup (params->target);
  else
    self->target = g_strdup (params->target);
  self->sdp = g_strdup (params->sdp);
  self->user = g_strdup (params->user);
  self->display_name = g_strdup (params->display_name);
  self->auth_user = g_strdup (params->auth_user && *params->auth_user ? params->auth_user : params->user);
  self->password = g_strdup (params->password ? params->password : "");
  self->outbound = params->outbound;
  self->user_agent = g_strdup (params->user_agent);
  self->call_id = sipd_random_token (24);
  self->from_tag = sipd_random_token (12);
  self->cseq = 1 + kl_random_below (9999);
  self->provisional_timer = kl_timer_new (clock, on_provisional_due, self);
  self->path_timer = kl_timer_new (clock, on_path_timeout, self);
  return self;
}

static void
drop_transaction (SipdInviteOut *self)
{
  if (self->tx != 0)
    sipd_stack_cancel_request (self->stack, self->tx);
  self->tx = 0;
}

void
sipd_invite_out_free (SipdInviteOut *self)
{
  drop_transaction (self);
  kl_timer_free (self->provisional_timer);
  kl_timer_free (self->path_timer);
  sipd_auth_clear (&self->auth);
  explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->target);
  g_free (self->target_user);
  g_free (self->sdp);
  g_free (self->user);
  g_free (self->display_name);
  g_free (self->auth_user);
  g_free (self->user_agent);
  g_free (self->call_id);
  g_free (self->from_tag);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_clear_pointer (&self->avoid, sipd_flow_unref);
  g_clear_pointer (&self->request, sipd_message_unref);
  g_free (self->branch);
  g_free (self->route);
  g_free (self->answered_tag);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_free (self->unanswered);
  g_free (self);
}

/* Ends it with a final word to the caller, unless the caller hung up. */
static void
fail (SipdInviteOut *self, guint status, const char *reason)
{
  kl_timer_stop (self->provisional_timer);
  kl_timer_stop (self->path_timer);
  drop_transaction (self);
  self->state = INVITE_DONE;
  if (!self->cancelled)
    self->callbacks.failed (self, status, reason, self->user_data);
}

/* The words a person reads for a final answer. */
static char *
final_words (guint status, const char *reason)
{
  switch (status) {
  case 486:
  case 600:
    return g_strdup_printf ("busy (%u)", status);
  case 404:
  case 604:
    return g_strdup_printf ("not found (%u)", status);
  case 408:
  case 480:
    return g_strdup_printf ("no answer (%u)", status);
  case 603:
    return g_strdup_printf ("declined (%u)", status);
  default:
    return g_strdup_printf ("%s (%u)", reason, status);
  }
}

/* Building */

static GBytes *
build_invite (SipdInviteOut *self, const char *aor)
{
  g_autofree char *via = sipd_stack_via (self->stack, self->flow, self->branch);
  g_autofree char *contact = sipd_stack_contact_uri (self->stack, self->flow, self->user, self->outbound);
  SipdBuilder *builder = sipd_builder_new_request ("INVITE", self->target);

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  if (self->display_name != NULL && *self->display_name != '\0') {
    g_autofree char *display_name = sipd_quote (self->display_name);
    sipd_builder_add (builder, "From", "%s <%s>;tag=%s", display_name, aor, self->from_tag);
  } else {
    sipd_builder_add (builder, "From", "<%s>;tag=%s", aor, self->from_tag);
  }
  sipd_builder_add (builder, "To", "<%s>", self->target);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u INVITE", self->cseq);
  if (self->route != NULL)
    sipd_builder_add (builder, "Route", "%s", self->route);
  sipd_builder_add (builder, "Contact", "<%s>", contact);
  sipd_builder_add (builder, "Allow", ALLOW);
  if (self->outbound)
    sipd_builder_add (builder, "Supported", "outbound");
  sipd_auth_add_credentials (&self->auth, builder, self->auth_user, self->password, "INVITE", self->target);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  return sipd_builder_finish (builder, "application/sdp", self->sdp);
}

/* §9.1: the INVITE's Request-URI, top Via, From, To, Call-ID and Route. */
static GBytes *
build_cancel (SipdInviteOut *self)
{
  sip_t *invite = sipd_message_get_sip (self->request);
  g_autofree char *via = sipd_message_print_header (self->request, invite->sip_via);
  g_autofree char *from = sipd_message_print_header (self->request, invite->sip_from);
  g_autofree char *to = sipd_message_print_header (self->request, invite->sip_to);
  SipdBuilder *builder = sipd_builder_new_request ("CANCEL", self->target);

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "%s", from);
  sipd_builder_add (builder, "To", "%s", to);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u CANCEL", self->cseq);
  for (const sip_route_t *route = invite->sip_route; route != NULL; route = route->r_next) {
    g_autofree char *text = sipd_message_print_header (self->request, route);
    sipd_builder_add (builder, "Route", "%s", text);
  }
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  return sipd_builder_finish (builder, NULL, NULL);
}

static void
on_answer_ignored (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
}

static void
send_cancel (SipdInviteOut *self)
{
  g_autoptr (GBytes) cancel = build_cancel (self);

  self->cancel_sent = TRUE;
  sipd_stack_send_request (self->stack, self->flow, "CANCEL", self->branch, cancel, on_answer_ignored, NULL);
}

static char *
contact_header (SipdInviteOut *self)
{
  g_autofree char *uri = sipd_stack_contact_uri (self->stack, self->flow, self->user, self->outbound);

  return g_strdup_printf ("<%s>", uri);
}

/* The ACK of a 2xx is the core's (§13.2.2.4): in the dialog, a branch of its own. */
static GBytes *
build_ack (SipdInviteOut *self, SipdDialog *dialog)
{
  g_autofree char *branch = sipd_new_branch ();
  g_autofree char *via = sipd_stack_via (self->stack, dialog->flow, branch);
  SipdBuilder *builder = sipd_dialog_build_request (dialog, "ACK", self->cseq);

  sipd_builder_add (builder, "Via", "%s", via);
  return sipd_builder_finish (builder, NULL, NULL);
}

/* A 2xx of a fork other than the one answered, or after a CANCEL: ACK, then BYE. */
static void
end_extra_dialog (SipdInviteOut *self, SipdMessage *response)
{
  g_autofree char *contact = contact_header (self);
  g_autoptr (SipdDialog) dialog = sipd_dialog_new_uac (self->request, response, self->flow, contact);
  g_autoptr (GBytes) ack = build_ack (self, dialog);
  g_autofree char *branch = sipd_new_branch ();
  g_autofree char *via = sipd_stack_via (self->stack, dialog->flow, branch);
  SipdBuilder *builder;
  g_autoptr (GBytes) bye = NULL;

  g_message ("call %s: ending a second answer (To tag %s) with ACK and BYE", self->call_id, dialog->remote_tag);
  sipd_flow_send (dialog->flow, ack);
  builder = sipd_dialog_build_request (dialog, "BYE", 0);
  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  bye = sipd_builder_finish (builder, NULL, NULL);
  sipd_stack_send_request (self->stack, dialog->flow, "BYE", branch, bye, on_answer_ignored, NULL);
}

/* Answers */

static void
take_2xx (SipdInviteOut *self, SipdMessage *response)
{
  const char *tag = sipd_message_get_sip (response)->sip_to->a_tag;
  g_autofree char *contact = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *sdp = NULL;
  SipdDialog *dialog;

  if (tag == NULL)
    return; /* a 2xx without a To tag makes no dialog */
  if (self->answered_tag != NULL) {
    if (strcmp (tag, self->answered_tag) == 0)
      sipd_flow_send (self->flow, self->ack); /* our ACK was lost */
    else
      end_extra_dialog (self, response);
    return;
  }
  if (self->cancelled) {
    self->answered_tag = g_strdup (tag);
    end_extra_dialog (self, response);
    self->state = INVITE_DONE;
    return;
  }
  kl_timer_stop (self->provisional_timer);
  contact = contact_header (self);
  dialog = sipd_dialog_new_uac (self->request, response, self->flow, contact);
  self->answered_tag = g_strdup (tag);
  self->ack = build_ack (self, dialog);
  sipd_flow_send (dialog->flow, self->ack);
  self->state = INVITE_ANSWERED;
  body = sipd_message_get_body (response);
  sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  self->callbacks.answered (self, dialog, sdp, self->user_data);
}

static void
take_provisional (SipdInviteOut *self, SipdMessage *response)
{
  guint status = sipd_message_get_status (response);
  g_autoptr (GBytes) body = sipd_message_get_body (response);
  g_autofree char *sdp = NULL;

  kl_timer_stop (self->provisional_timer);
  if (self->state == INVITE_CALLING)
    self->state = INVITE_PROCEEDING;
  if (self->cancelled) {
    if (!self->cancel_sent)
      send_cancel (self);
    return;
  }
  if (g_bytes_get_size (body) > 0)
    sdp = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  self->callbacks.progress (self, status, sipd_message_get_reason (response), sdp, self->user_data);
}

static gboolean
follow_redirect (SipdInviteOut *self, SipdMessage *response)
{
  const sip_contact_t *contact = sipd_message_get_sip (response)->sip_contact;

  if (self->redirects >= MAX_REDIRECTS || contact == NULL ||
      (contact->m_url->url_type != url_sip && contact->m_url->url_type != url_sips))
    return FALSE;
  self->redirects++;
  g_free (self->target);
  g_clear_pointer (&self->target_user, g_free);
  self->target = sipd_message_print_uri (response, contact->m_url);
  g_message ("call %s: redirected to %s", self->call_id, self->target);
  sipd_auth_clear (&self->auth);
  self->cseq++;
  send_invite (self);
  return TRUE;
}

typedef enum {
  UNANSWERED_FLOW_FAILED, /* the line learns it from the flow keeper */
  UNANSWERED_TIMEOUT,     /* Timer B on a flow that lives */
  UNANSWERED_SLOW,        /* nothing within T1, and another flow is up */
  UNANSWERED_LINE_MOVED,  /* 503 or 408, and the line fails over */
} Unanswered;

static void unanswered (SipdInviteOut *self, const char *reason, Unanswered kind);

static void
take_final (SipdInviteOut *self, SipdMessage *response)
{
  guint status = sipd_message_get_status (response);
  const char *reason = sipd_message_get_reason (response);
  g_autofree char *words = NULL;

  self->tx = 0; /* the transaction acknowledged it and ends by itself */
  kl_timer_stop (self->provisional_timer);
  if (self->cancelled) {
    self->state = INVITE_DONE;
    return;
  }
  if ((status == 401 || status == 407) &&
      sipd_auth_take_challenge (&self->auth, response) == SIPD_AUTH_ANSWER) {
    self->cseq++;
    send_invite (self);
    return;
  }
  if (status >= 300 && status < 400 && follow_redirect (self, response))
    return;
  if (status == 430) {
    /* RFC 5626 §11.6: the edge proxy lost our flow; so do we, and go again */
    g_autofree char *why = g_strdup_printf ("430 Flow Failed from %s", sipd_flow_get_server_name (self->flow));
    g_autofree char *failure = g_strdup_printf ("flow failed: %s", why);
    sipd_flow_fail (self->flow, why);
    unanswered (self, failure, UNANSWERED_FLOW_FAILED);
    return;
  }
  if (status == 503 || status == 408) {
    g_autofree char *why = g_strdup_printf ("%u %s from %s", status, reason, sipd_flow_get_server_name (self->flow));
    if (sipd_line_server_failed (self->line, self->flow, why)) {
      unanswered (self, why, UNANSWERED_LINE_MOVED);
      return;
    }
  }
  words = (status == 401 || status == 407) ? g_strdup_printf ("%s (%u)", sipd_auth_get_failure (&self->auth), status)
                                           : final_words (status, reason);
  fail (self, status, words);
}

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdInviteOut *self = user_data;
  guint status;

  if (response == NULL) {
    self->tx = 0;
    unanswered (self, failure, g_str_has_prefix (failure, "flow failed") ? UNANSWERED_FLOW_FAILED : UNANSWERED_TIMEOUT);
    return;
  }
  status = sipd_message_get_status (response);
  if (status < 200)
    take_provisional (self, response);
  else if (status < 300)
    take_2xx (self, response);
  else
    take_final (self, response);
}

/* Routing */

static void
send_invite (SipdInviteOut *self)
{
  g_autoptr (GBytes) request = NULL;
  SipdLinePath path;

  drop_transaction (self);
  if (!sipd_line_get_request_path (self->line, self->avoid, &path)) {
    if (!sipd_line_is_heading_for_a_flow (self->line)) {
      fail (self, 0, self->unanswered ? self->unanswered : "the line has no flow to its servers");
      return;
    }
    self->state = INVITE_WAITING_FOR_PATH;
    if (!kl_timer_is_active (self->path_timer))
      kl_timer_start (self->path_timer, 64 * sipd_stack_get_timers (self->stack)->t1_ms);
    return;
  }
  kl_timer_stop (self->path_timer);
  if (self->flow != path.flow) {
    g_clear_pointer (&self->flow, sipd_flow_unref);
    self->flow = sipd_flow_ref (path.flow);
  }
  g_free (self->route);
  self->route = g_strdup (path.route);
  if (self->target_user != NULL) {
    g_autofree char *domain = sipd_uri_host (path.aor);
    g_free (self->target);
    self->target = g_strdup_printf ("sip:%s@%s", self->target_user, domain);
  }
  g_free (self->branch);
  self->branch = sipd_new_branch ();
  request = build_invite (self, path.aor);
  g_clear_pointer (&self->request, sipd_message_unref);
  self->request = sipd_message_parse (g_bytes_get_data (request, NULL), g_bytes_get_size (request), NULL);
  self->attempts++;
  self->state = INVITE_CALLING;
  g_message ("call %s: INVITE %s over %s (attempt %u)", self->call_id, self->target,
             sipd_flow_get_server_name (self->flow), self->attempts);
  self->tx = sipd_stack_send_request (self->stack, self->flow, "INVITE", self->branch, request, on_response, self);
  kl_timer_start (self->provisional_timer, sipd_stack_get_timers (self->stack)->t1_ms);
}

/* The server behind the flow did not answer: the same INVITE (same CSeq, so
 * that a callee it reached anyway sees a merged request, §8.2.2.2) goes
 * through the line's next path, now or once the line has one. */
static void
unanswered (SipdInviteOut *self, const char *reason, Unanswered kind)
{
  g_autofree char *server = g_strdup (sipd_flow_get_server_name (self->flow));
  SipdLinePath other;

  drop_transaction (self);
  kl_timer_stop (self->provisional_timer);
  g_free (self->unanswered);
  if (kind == UNANSWERED_FLOW_FAILED && g_str_has_prefix (reason, "flow failed: "))
    self->unanswered = g_strdup_printf ("flow to %s failed: %s", server, reason + strlen ("flow failed: "));
  else if (kind == UNANSWERED_LINE_MOVED)
    self->unanswered = g_strdup (reason);
  else
    self->unanswered = g_strdup_printf ("%s did not answer: %s", server, reason);
  if (self->cancelled) {
    self->state = INVITE_DONE;
    return;
  }
  if (kind == UNANSWERED_TIMEOUT && !sipd_line_server_failed (self->line, self->flow, self->unanswered) &&
      !sipd_line_get_request_path (self->line, self->flow, &other)) {
    fail (self, 0, self->unanswered); /* nowhere else to go */
    return;
  }
  if (self->reroutes >= MAX_REROUTES) {
    fail (self, 0, self->unanswered);
    return;
  }
  self->reroutes++;
  g_clear_pointer (&self->avoid, sipd_flow_unref);
  self->avoid = sipd_flow_ref (self->flow);
  sipd_auth_clear (&self->auth);
  g_message ("call %s: %s; sending it through the line's next servers", self->call_id, self->unanswered);
  self->callbacks.rerouted (self, self->unanswered, self->user_data);
  send_invite (self);
}

/* Nothing within T1, not even 100 Trying: with another flow up, go there
 * now; either way check this flow, whose failure reroutes the INVITE. */
static void
on_provisional_due (gpointer user_data)
{
  SipdInviteOut *self = user_data;
  gint64 t1_ms = sipd_stack_get_timers (self->stack)->t1_ms;
  SipdLinePath other;
  gboolean checked = sipd_flow_check (self->flow, 2 * t1_ms);

  if (self->state != INVITE_CALLING)
    return;
  if (sipd_line_get_request_path (self->line, self->flow, &other)) {
    g_autofree char *reason = g_strdup_printf ("no answer within %" G_GINT64_FORMAT " ms", t1_ms);
    unanswered (self, reason, UNANSWERED_SLOW);
    return;
  }
  if (!checked)
    g_debug ("call %s: no answer yet, and the flow has no keep-alive to check it with", self->call_id);
}

static void
on_path_timeout (gpointer user_data)
{
  SipdInviteOut *self = user_data;

  fail (self, 0, self->unanswered ? self->unanswered : "the line has no flow to its servers");
}

/* Public */

void
sipd_invite_out_start (SipdInviteOut *self)
{
  g_return_if_fail (self->state == INVITE_IDLE);
  send_invite (self);
}

void
sipd_invite_out_line_changed (SipdInviteOut *self)
{
  if (self->state == INVITE_WAITING_FOR_PATH && !self->cancelled)
    send_invite (self);
}

void
sipd_invite_out_cancel (SipdInviteOut *self)
{
  self->cancelled = TRUE;
  kl_timer_stop (self->path_timer);
  switch (self->state) {
  case INVITE_IDLE:
  case INVITE_WAITING_FOR_PATH:
    self->state = INVITE_DONE;
    break;
  case INVITE_PROCEEDING:
    if (!self->cancel_sent)
      send_cancel (self);
    break;
  case INVITE_CALLING: /* §9.1: no CANCEL before a provisional answer */
  case INVITE_ANSWERED:
  case INVITE_DONE:
    break;
  }
}

gboolean
sipd_invite_out_is_quiet (SipdInviteOut *self)
{
  return self->state == INVITE_DONE || self->state == INVITE_ANSWERED || self->state == INVITE_IDLE;
}

const char *
sipd_invite_out_get_call_id (SipdInviteOut *self)
{
  return self->call_id;
}

guint
sipd_invite_out_get_attempts (SipdInviteOut *self)
{
  return self->attempts;
}

const char *
sipd_invite_out_get_target (SipdInviteOut *self)
{
  return self->target;
}
