/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-message"

#include "sipd-message-out.h"

#include <string.h>

#include "kl-random.h"
#include "sipd-auth.h"
#include "sipd-call-input.h"
#include "sipd-error.h"

typedef struct {
  SipdStack *stack;
  SipdFlow *flow;
  char *target;
  char *from;
  char *route;
  char *call_id;
  char *from_tag;
  guint32 cseq;
  char *text;
  char *auth_user;
  char *password;
  char *user_agent;
  SipdAuth auth;
  SipdMessageOutFunc func;
  gpointer user_data;
} MessageOut;

static void
message_out_free (MessageOut *self)
{
  sipd_flow_unref (self->flow);
  sipd_auth_clear (&self->auth);
  explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->auth_user);
  g_free (self->target);
  g_free (self->from);
  g_free (self->route);
  g_free (self->call_id);
  g_free (self->from_tag);
  g_free (self->text);
  g_free (self->user_agent);
  g_free (self);
}

static void send_message (MessageOut *self);

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  MessageOut *self = user_data;
  g_autofree char *result = NULL;
  guint status;

  if (response == NULL) {
    self->func (failure, self->user_data);
    message_out_free (self);
    return;
  }
  status = sipd_message_get_status (response);
  if ((status == 401 || status == 407) &&
      sipd_auth_take_challenge (&self->auth, response) == SIPD_AUTH_ANSWER) {
    send_message (self);
    return;
  }
  result = g_strdup_printf ("%u %s", status, sipd_message_get_reason (response));
  self->func (result, self->user_data);
  message_out_free (self);
}

static void
send_message (MessageOut *self)
{
  g_autofree char *branch = sipd_new_branch ();
  g_autofree char *via = sipd_stack_via (self->stack, self->flow, branch);
  SipdBuilder *builder = sipd_builder_new_request ("MESSAGE", self->target);
  g_autoptr (GBytes) request = NULL;

  sipd_builder_add (builder, "Via", "%s", via);
  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "<%s>;tag=%s", self->from, self->from_tag);
  sipd_builder_add (builder, "To", "<%s>", self->target);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u MESSAGE", ++self->cseq);
  if (self->route != NULL)
    sipd_builder_add (builder, "Route", "%s", self->route);
  sipd_auth_add_credentials (&self->auth, builder, self->auth_user, self->password, "MESSAGE", self->target);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  request = sipd_builder_finish (builder, "text/plain; charset=UTF-8", self->text);
  sipd_stack_send_request (self->stack, self->flow, "MESSAGE", branch, request, on_response, self);
}

gboolean
sipd_message_out_send (SipdStack *stack,
                       SipdLine *line,
                       const char *user_agent,
                       const char *uri,
                       const char *text,
                       SipdMessageOutFunc func,
                       gpointer user_data,
                       GError **error)
{
  const SipdLineSettings *settings = sipd_line_get_settings (line);
  SipdLinePath path;
  g_autofree char *domain = NULL;
  g_autofree char *target = NULL;
  MessageOut *self;

  if (settings == NULL) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_LINE_DISABLED, "line %u has no user name configured",
                 sipd_line_get_index (line));
    return FALSE;
  }
  if (!sipd_line_get_request_path (line, NULL, &path)) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_NOT_REGISTERED, "line %u has no flow to its servers now",
                 sipd_line_get_index (line));
    return FALSE;
  }
  if (text == NULL || *text == '\0' || strlen (text) > SIPD_MAX_MESSAGE_TEXT) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "the text must be 1 to %d bytes", SIPD_MAX_MESSAGE_TEXT);
    return FALSE;
  }
  domain = sipd_uri_host (path.aor);
  target = sipd_call_target_uri (uri, domain, error);
  if (target == NULL)
    return FALSE;

  self = g_new0 (MessageOut, 1);
  self->stack = stack;
  self->flow = sipd_flow_ref (path.flow);
  self->target = g_steal_pointer (&target);
  self->from = g_strdup (path.aor);
  self->route = g_strdup (path.route);
  self->call_id = sipd_random_token (24);
  self->from_tag = sipd_random_token (12);
  self->cseq = 1 + kl_random_below (9999);
  self->text = g_strdup (text);
  self->auth_user = g_strdup (*settings->auth_user ? settings->auth_user : settings->user);
  self->password = g_strdup (settings->password ? settings->password : "");
  self->user_agent = g_strdup (user_agent);
  self->func = func;
  self->user_data = user_data;
  send_message (self);
  return TRUE;
}
