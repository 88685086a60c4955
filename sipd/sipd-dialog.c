/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-dialog"

#include "sipd-dialog.h"

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>
#include <string.h>

#include "kl-random.h"

/* "Name" <uri> without the tag or other parameters. */
static char *
party (SipdMessage *message, const sip_addr_t *address)
{
  g_autofree char *uri = sipd_message_print_uri (message, address->a_url);

  if (address->a_display != NULL && *address->a_display != '\0')
    return g_strdup_printf ("%s <%s>", address->a_display, uri);
  return g_strdup_printf ("<%s>", uri);
}

static char *
contact_uri (SipdMessage *message)
{
  const sip_contact_t *contact = sipd_message_get_sip (message)->sip_contact;

  g_autofree char *target = NULL;

  if (contact == NULL)
    return NULL;
  target = sipd_message_print_uri (message, contact->m_url);
  return sipd_message_is_target (target) ? g_steal_pointer (&target) : NULL;
}

static GPtrArray *
record_routes (SipdMessage *message, gboolean reversed)
{
  GPtrArray *routes = g_ptr_array_new_with_free_func (g_free);

  for (const sip_record_route_t *rr = sipd_message_get_sip (message)->sip_record_route; rr != NULL;
       rr = rr->r_next) {
    char *text = sipd_message_print_header (message, rr);
    if (reversed)
      g_ptr_array_insert (routes, 0, text);
    else
      g_ptr_array_add (routes, text);
  }
  return routes;
}

SipdDialog *
sipd_dialog_new_uac (SipdMessage *invite, SipdMessage *response, SipdFlow *flow, const char *contact)
{
  sip_t *request = sipd_message_get_sip (invite);
  sip_t *answer = sipd_message_get_sip (response);
  SipdDialog *self;

  g_return_val_if_fail (answer->sip_to->a_tag != NULL, NULL);
  self = g_new0 (SipdDialog, 1);
  self->call_id = g_strdup (sipd_message_get_call_id (invite));
  self->local_tag = g_strdup (request->sip_from->a_tag);
  self->remote_tag = g_strdup (answer->sip_to->a_tag);
  self->local_party = party (invite, request->sip_from);
  self->remote_party = party (response, answer->sip_to);
  self->local_cseq = request->sip_cseq->cs_seq;
  self->remote_target = contact_uri (response);
  if (self->remote_target == NULL)
    self->remote_target = sipd_message_print_uri (invite, request->sip_request->rq_url);
  self->route_set = record_routes (response, TRUE);
  self->flow = sipd_flow_ref (flow);
  self->contact = g_strdup (contact);
  return self;
}

SipdDialog *
sipd_dialog_new_uas (SipdMessage *invite, const char *local_tag, SipdFlow *flow, const char *contact)
{
  sip_t *request = sipd_message_get_sip (invite);
  SipdDialog *self = g_new0 (SipdDialog, 1);

  self->call_id = g_strdup (sipd_message_get_call_id (invite));
  self->local_tag = g_strdup (local_tag);
  self->remote_tag = g_strdup (request->sip_from->a_tag);
  self->local_party = party (invite, request->sip_to);
  self->remote_party = party (invite, request->sip_from);
  self->local_cseq = 1 + kl_random_below (9999);
  self->remote_cseq = request->sip_cseq->cs_seq;
  self->remote_target = contact_uri (invite);
  if (self->remote_target == NULL)
    self->remote_target = sipd_message_print_uri (invite, request->sip_from->a_url);
  self->route_set = record_routes (invite, FALSE);
  self->flow = sipd_flow_ref (flow);
  self->contact = g_strdup (contact);
  return self;
}

void
sipd_dialog_free (SipdDialog *self)
{
  g_free (self->call_id);
  g_free (self->local_tag);
  g_free (self->remote_tag);
  g_free (self->local_party);
  g_free (self->remote_party);
  g_free (self->remote_target);
  g_ptr_array_unref (self->route_set);
  sipd_flow_unref (self->flow);
  g_free (self->contact);
  g_free (self);
}

void
sipd_dialog_update_target (SipdDialog *self, SipdMessage *message)
{
  char *target = contact_uri (message);

  if (target == NULL)
    return;
  g_free (self->remote_target);
  self->remote_target = target;
}

gboolean
sipd_dialog_matches_request (SipdDialog *self, SipdMessage *request)
{
  sip_t *sip = sipd_message_get_sip (request);

  return g_strcmp0 (sipd_message_get_call_id (request), self->call_id) == 0 &&
         g_strcmp0 (sip->sip_to->a_tag, self->local_tag) == 0 &&
         g_strcmp0 (sip->sip_from->a_tag, self->remote_tag) == 0;
}

gboolean
sipd_dialog_accept_cseq (SipdDialog *self, SipdMessage *request)
{
  guint32 cseq = sipd_message_get_sip (request)->sip_cseq->cs_seq;

  if (strcmp (sipd_message_get_method (request), "ACK") == 0 || strcmp (sipd_message_get_method (request), "CANCEL") == 0)
    return TRUE;
  if (self->remote_cseq != 0 && cseq <= self->remote_cseq)
    return FALSE;
  self->remote_cseq = cseq;
  return TRUE;
}

/* A Route entry of the first hop (host) with its flow token (the user part)
 * taken out, or NULL when it is not one. */
static char *
route_without_token (const char *route, const char *host)
{
  g_autofree char *uri = g_strdup (route);
  char *end = strchr (uri, '>');
  su_home_t *home;
  url_t *url;
  char *plain = NULL;

  if (uri[0] != '<' || end == NULL)
    return NULL;
  *end = '\0';
  home = su_home_new (sizeof (su_home_t));
  url = url_make (home, uri + 1);
  if (url != NULL && url->url_user != NULL && *url->url_user != '\0' && g_strcmp0 (url->url_host, host) == 0) {
    char *text;
    url->url_user = NULL;
    url->url_password = NULL;
    text = url_as_string (home, url);
    plain = g_strdup_printf ("<%s>%s", text, end + 1);
  }
  su_home_unref (home);
  return plain;
}

static void
add_routes (SipdDialog *self, SipdBuilder *builder)
{
  g_autofree char *host = NULL;
  gboolean leading = self->flow_replaced;

  if (leading)
    host = g_inet_address_to_string (g_inet_socket_address_get_address (sipd_flow_get_remote (self->flow)));
  for (guint i = 0; i < self->route_set->len; i++) {
    const char *route = g_ptr_array_index (self->route_set, i);
    g_autofree char *plain = leading ? route_without_token (route, host) : NULL;

    leading = plain != NULL;
    sipd_builder_add (builder, "Route", "%s", plain ? plain : route);
  }
}

SipdBuilder *
sipd_dialog_build_request (SipdDialog *self, const char *method, guint32 ack_cseq)
{
  gboolean ack = strcmp (method, "ACK") == 0;
  SipdBuilder *builder = sipd_builder_new_request (method, self->remote_target);

  sipd_builder_add (builder, "Max-Forwards", "70");
  sipd_builder_add (builder, "From", "%s;tag=%s", self->local_party, self->local_tag);
  sipd_builder_add (builder, "To", "%s;tag=%s", self->remote_party, self->remote_tag);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u %s", ack ? ack_cseq : ++self->local_cseq, method);
  add_routes (self, builder);
  if (strcmp (method, "INVITE") == 0 && self->contact != NULL)
    sipd_builder_add (builder, "Contact", "%s", self->contact);
  return builder;
}

SipdFlow *
sipd_dialog_get_flow (SipdDialog *self, SipdStack *stack)
{
  SipdFlow *flow;

  if (sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE ||
      sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_CONNECTING)
    return self->flow;
  flow = sipd_stack_get_flow (stack, sipd_flow_get_transport (self->flow), sipd_flow_get_remote (self->flow),
                              sipd_flow_get_server_name (self->flow));
  if (flow != NULL) {
    sipd_flow_unref (self->flow);
    self->flow = sipd_flow_ref (flow);
    self->flow_replaced = TRUE;
  }
  return self->flow;
}
