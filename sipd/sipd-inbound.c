/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-inbound"

#include "sipd-inbound.h"

#include <string.h>

#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY"
#define MAX_TEXT_BODY 4096

struct _SipdInbound {
  SipdStack *stack;
  SipdInboundHandlers handlers;
  gpointer user_data;
};

SipdInbound *
sipd_inbound_new (SipdStack *stack, const SipdInboundHandlers *handlers, gpointer user_data)
{
  SipdInbound *self = g_new0 (SipdInbound, 1);

  self->stack = stack;
  self->handlers = *handlers;
  self->user_data = user_data;
  return self;
}

void
sipd_inbound_free (SipdInbound *self)
{
  g_free (self);
}

void
sipd_inbound_respond (SipdStack *stack,
                      SipdFlow *flow,
                      SipdMessage *request,
                      guint status,
                      const char *reason,
                      const char *to_tag)
{
  SipdBuilder *builder = sipd_builder_new_response (request, status, reason, to_tag);
  g_autoptr (GBytes) response = NULL;

  if (status == 405 || strcmp (sipd_message_get_method (request), "OPTIONS") == 0)
    sipd_builder_add (builder, "Allow", ALLOW);
  if (strcmp (sipd_message_get_method (request), "OPTIONS") == 0)
    sipd_builder_add (builder, "Accept", "application/sdp, text/plain");
  response = sipd_builder_finish (builder, NULL, NULL);
  sipd_stack_respond (stack, flow, request, response);
}

static guint
line_of_request (SipdInbound *self, SipdMessage *request)
{
  const url_t *uri = sipd_message_get_sip (request)->sip_request->rq_url;

  if (uri->url_user == NULL)
    return 0;
  return self->handlers.find_line (uri->url_user, self->user_data);
}

static char *
printable_from (SipdMessage *request)
{
  return sipd_message_print_header (request, sipd_message_get_sip (request)->sip_from);
}

/* The body of a text message, or empty when it is not text. */
static char *
text_body (SipdMessage *request, char **ret_content_type)
{
  const sip_content_type_t *type = sipd_message_get_sip (request)->sip_content_type;
  g_autoptr (GBytes) body = sipd_message_get_body (request);
  gsize length;
  const char *data = g_bytes_get_data (body, &length);

  *ret_content_type = g_utf8_make_valid (type && type->c_type ? type->c_type : "", -1);
  if (length == 0 || type == NULL || type->c_type == NULL || !g_str_has_prefix (type->c_type, "text/") ||
      length > MAX_TEXT_BODY || !g_utf8_validate (data, (gssize) length, NULL) ||
      memchr (data, '\0', length) != NULL)
    return g_strdup ("");
  return g_strndup (data, length);
}

static void
handle_message (SipdInbound *self, SipdFlow *flow, SipdMessage *request)
{
  guint line = line_of_request (self, request);
  g_autofree char *tag = sipd_random_token (10);
  g_autofree char *from = NULL;
  g_autofree char *body = NULL;
  g_autofree char *content_type = NULL;

  if (line == 0) {
    sipd_inbound_respond (self->stack, flow, request, 404, "Not Found", tag);
    return;
  }
  sipd_inbound_respond (self->stack, flow, request, 200, "OK", tag);
  from = printable_from (request);
  body = text_body (request, &content_type);
  self->handlers.message (line, from, content_type, body, self->user_data);
}

static void
handle_invite (SipdInbound *self, SipdFlow *flow, SipdMessage *request)
{
  guint line = line_of_request (self, request);
  g_autofree char *tag = sipd_random_token (10);

  if (sipd_message_get_sip (request)->sip_to->a_tag != NULL)
    sipd_inbound_respond (self->stack, flow, request, 481, "Call/Transaction Does Not Exist", NULL);
  else if (line == 0)
    sipd_inbound_respond (self->stack, flow, request, 404, "Not Found", tag);
  else
    self->handlers.invite (line, flow, request, self->user_data);
}

/* Only our servers may start something here. */
static gboolean
from_our_server (SipdFlow *flow)
{
  return *sipd_flow_get_server_name (flow) != '\0';
}

/* RFC 3842 §5.2: voicemail servers that notify without a subscription */
static gboolean
is_unsolicited_mwi (SipdMessage *request)
{
  sip_t *sip = sipd_message_get_sip (request);

  return sip->sip_to->a_tag == NULL && sip->sip_event != NULL &&
         g_ascii_strcasecmp (sip->sip_event->o_type, "message-summary") == 0;
}

static void
handle_notify (SipdInbound *self, SipdFlow *flow, SipdMessage *request, const char *tag)
{
  guint line;

  if (self->handlers.notify (flow, request, self->user_data))
    return;
  line = is_unsolicited_mwi (request) && from_our_server (flow) ? line_of_request (self, request) : 0;
  if (line != 0 && self->handlers.unsolicited_mwi (line, flow, request, self->user_data))
    sipd_inbound_respond (self->stack, flow, request, 200, "OK", tag);
  else
    sipd_inbound_respond (self->stack, flow, request, 481, "Subscription Does Not Exist", tag);
}

static gboolean
is_known_method (const char *method)
{
  static const char *const known[] = { "REGISTER", "SUBSCRIBE", "REFER", "INFO", "UPDATE", "PRACK", "PUBLISH", NULL };

  return g_strv_contains (known, method);
}

void
sipd_inbound_handle (SipdInbound *self, SipdFlow *flow, SipdMessage *request)
{
  const char *method = sipd_message_get_method (request);
  g_autofree char *tag = sipd_random_token (10);
  g_autofree char *description = sipd_message_describe (request);

  g_debug ("received %s", description);
  if (strcmp (method, "ACK") == 0)
    return; /* of no call we know: nothing to do */
  if ((strcmp (method, "INVITE") == 0 || strcmp (method, "MESSAGE") == 0) && !from_our_server (flow)) {
    g_autofree char *from = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
    g_message ("refused a %s from %s: not one of the lines' servers", method, from);
    sipd_inbound_respond (self->stack, flow, request, 403, "Forbidden", tag);
    return;
  }
  if (strcmp (method, "OPTIONS") == 0)
    sipd_inbound_respond (self->stack, flow, request, 200, "OK", tag);
  else if (strcmp (method, "MESSAGE") == 0)
    handle_message (self, flow, request);
  else if (strcmp (method, "INVITE") == 0)
    handle_invite (self, flow, request);
  else if (strcmp (method, "CANCEL") == 0)
    sipd_inbound_respond (self->stack, flow, request, 481, "Call/Transaction Does Not Exist", tag);
  else if (strcmp (method, "BYE") == 0)
    sipd_inbound_respond (self->stack, flow, request, 481, "Call/Transaction Does Not Exist", tag);
  else if (strcmp (method, "NOTIFY") == 0)
    handle_notify (self, flow, request, tag);
  else if (is_known_method (method))
    sipd_inbound_respond (self->stack, flow, request, 405, "Method Not Allowed", tag);
  else
    sipd_inbound_respond (self->stack, flow, request, 501, "Not Implemented", tag);
}
