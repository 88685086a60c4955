/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-registration"

#include "sipd-registration.h"

#include <sofia-sip/msg_header.h>
#include <string.h>

#include "kl-random.h"
#include "sipd-auth.h"
#include "sipd-timing.h"

#define MAX_INTERVAL_ROUNDS 2

struct _SipdRegistration {
  SipdStack *stack;
  SipdRegistrationFunc changed;
  gpointer user_data;

  /* configuration */
  char *aor;
  char *registrar_uri;
  char *route;
  char *user;
  char *display_name;
  char *auth_user;
  char *password;
  char *instance_id;
  guint reg_id;
  gboolean want_outbound;
  guint expires_s;
  guint renewal_s;
  char *user_agent;

  /* the dialog-like identity kept across refreshes */
  char *call_id;
  char *from_tag;
  guint32 cseq;

  SipdRegistrationState state;
  SipdFlow *flow;
  char *contact;       /* the Contact we register, without parameters of the binding */
  guint transaction;   /* pending request, 0 if none */
  gboolean removing;   /* the pending request has Expires: 0 */
  guint interval_rounds;
  guint asked_expires_s;
  KlTimer *refresh_timer;

  SipdAuth auth;

  /* what the last final response said */
  char *failure;
  guint failure_status;
  guint retry_after_s;
  gboolean outbound;
  guint flow_timer_s;
  guint keep_s; /* RFC 6223: keep=N in the top Via of the last 2xx, 0 if none */
  guint granted_expires_s;
  char *service_route;
  char *preloaded_route; /* route, then service_route: for requests outside a dialog */
  char *stale_contact;   /* without outbound: the binding of the flow before, removed with the next REGISTER */
  char *path;
};

static void send_register (SipdRegistration *self);
static void on_refresh_due (gpointer user_data);

const char *
sipd_registration_state_to_string (SipdRegistrationState state)
{
  switch (state) {
  case SIPD_REGISTRATION_STATE_IDLE:
    return "idle";
  case SIPD_REGISTRATION_STATE_REGISTERING:
    return "registering";
  case SIPD_REGISTRATION_STATE_REGISTERED:
    return "registered";
  case SIPD_REGISTRATION_STATE_UNREGISTERING:
    return "unregistering";
  case SIPD_REGISTRATION_STATE_FAILED:
    return "failed";
  }
  g_return_val_if_reached ("?");
}

SipdRegistration *
sipd_registration_new (SipdStack *stack,
                       const SipdRegistrationConfig *config,
                       SipdRegistrationFunc changed,
                       gpointer user_data)
{
  SipdRegistration *self = g_new0 (SipdRegistration, 1);

  self->stack = stack;
  self->changed = changed;
  self->user_data = user_data;
  self->aor = g_strdup (config->aor);
  self->registrar_uri = g_strdup (config->registrar_uri);
  self->route = g_strdup (config->route);
  self->user = g_strdup (config->user);
  self->display_name = g_strdup (config->display_name);
  self->auth_user = g_strdup (config->auth_user && *config->auth_user ? config->auth_user : config->user);
  self->password = g_strdup (config->password ? config->password : "");
  self->instance_id = g_strdup (config->instance_id);
  self->reg_id = config->reg_id;
  self->want_outbound = config->outbound;
  self->expires_s = config->expires_s;
  self->renewal_s = config->renewal_s;
  self->user_agent = g_strdup (config->user_agent ? config->user_agent : "keepline");
  self->call_id = sipd_random_token (24);
  self->from_tag = sipd_random_token (12);
  self->cseq = 1 + kl_random_below (9999);
  self->refresh_timer = kl_timer_new (sipd_stack_get_clock (stack), on_refresh_due, self);
  return self;
}

void
sipd_registration_set_handler (SipdRegistration *self, SipdRegistrationFunc changed, gpointer user_data)
{
  self->changed = changed;
  self->user_data = user_data;
}

static void
cancel_pending (SipdRegistration *self)
{
  if (self->transaction != 0) {
    sipd_stack_cancel_request (self->stack, self->transaction);
    self->transaction = 0;
  }
}

void
sipd_registration_free (SipdRegistration *self)
{
  cancel_pending (self);
  kl_timer_free (self->refresh_timer);
  sipd_auth_clear (&self->auth);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->aor);
  g_free (self->registrar_uri);
  g_free (self->route);
  g_free (self->user);
  g_free (self->display_name);
  g_free (self->auth_user);
  g_free (self->instance_id);
  g_free (self->user_agent);
  g_free (self->call_id);
  g_free (self->from_tag);
  g_free (self->contact);
  g_free (self->failure);
  g_free (self->service_route);
  g_free (self->preloaded_route);
  g_free (self->stale_contact);
  g_free (self->path);
  g_free (self);
}

static void
set_state (SipdRegistration *self, SipdRegistrationState state)
{
  if (self->state == state)
    return;
  g_debug ("%s at %s: %s -> %s", self->aor, self->registrar_uri, sipd_registration_state_to_string (self->state),
           sipd_registration_state_to_string (state));
  self->state = state;
  self->changed (self, self->user_data);
}

static void
fail (SipdRegistration *self, guint status, const char *reason, guint retry_after_s)
{
  g_free (self->failure);
  self->failure = g_strdup (reason);
  self->failure_status = status;
  self->retry_after_s = retry_after_s;
  kl_timer_stop (self->refresh_timer);
  set_state (self, SIPD_REGISTRATION_STATE_FAILED);
}

/* Request building */

static GBytes *
build_register (SipdRegistration *self, const char *branch, guint expires_s)
{
  g_autofree char *via = sipd_stack_via (self->stack, self->flow, branch);
  SipdBuilder *builder = sipd_builder_new_request ("REGISTER", self->registrar_uri);
  g_autoptr (GString) contact = g_string_new (NULL);

  g_string_append_printf (contact, "<%s>", self->contact);
  if (self->instance_id != NULL)
    g_string_append_printf (contact, ";+sip.instance=\"<%s>\"", self->instance_id);
  if (self->reg_id > 0)
    g_string_append_printf (contact, ";reg-id=%u", self->reg_id);

  /* RFC 6223 §4.3: willing to send keep-alives; the 2xx says whether the
   * server wants them, and how often */
  sipd_builder_add (builder, "Via", "%s%s", via, expires_s > 0 ? ";keep" : "");
  sipd_builder_add (builder, "Max-Forwards", "70");
  if (self->display_name != NULL && *self->display_name != '\0') {
    g_autofree char *display_name = sipd_quote (self->display_name);
    sipd_builder_add (builder, "From", "%s <%s>;tag=%s", display_name, self->aor, self->from_tag);
  } else {
    sipd_builder_add (builder, "From", "<%s>;tag=%s", self->aor, self->from_tag);
  }
  sipd_builder_add (builder, "To", "<%s>", self->aor);
  sipd_builder_add (builder, "Call-ID", "%s", self->call_id);
  sipd_builder_add (builder, "CSeq", "%u REGISTER", ++self->cseq);
  if (self->route != NULL)
    sipd_builder_add (builder, "Route", "%s", self->route);
  sipd_builder_add (builder, "Contact", "%s", contact->str);
  if (self->stale_contact != NULL && expires_s > 0)
    sipd_builder_add (builder, "Contact", "<%s>;expires=0", self->stale_contact);
  sipd_builder_add (builder, "Expires", "%u", expires_s);
  if (self->want_outbound)
    sipd_builder_add (builder, "Supported", "outbound, path");
  sipd_builder_add (builder, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY");
  sipd_auth_add_credentials (&self->auth, builder, self->auth_user, self->password, "REGISTER",
                             self->registrar_uri);
  sipd_builder_add (builder, "User-Agent", "%s", self->user_agent);
  return sipd_builder_finish (builder, NULL, NULL);
}

/* Responses */

/* The value of a Contact parameter without its quotes and angle brackets. */
static char *
param_value (const sip_contact_t *contact, const char *name)
{
  const char *value = msg_header_find_param ((const msg_common_t *) contact, name);
  gsize length;

  if (value == NULL)
    return NULL;
  if (*value == '=')
    value++;
  length = strlen (value);
  if (length >= 2 && value[0] == '"' && value[length - 1] == '"') {
    value++;
    length -= 2;
  }
  if (length >= 2 && value[0] == '<' && value[length - 1] == '>') {
    value++;
    length -= 2;
  }
  return g_strndup (value, length);
}

/* Our binding among those the registrar lists: by instance and reg-id with
 * outbound, by URI otherwise. */
static const sip_contact_t *
find_our_contact (SipdRegistration *self, SipdMessage *response)
{
  for (const sip_contact_t *c = sipd_message_get_sip (response)->sip_contact; c != NULL; c = c->m_next) {
    if (self->instance_id != NULL) {
      g_autofree char *instance = param_value (c, "+sip.instance");
      g_autofree char *reg_id = param_value (c, "reg-id");
      if (instance != NULL && g_ascii_strcasecmp (instance, self->instance_id) == 0 &&
          (self->reg_id == 0 || (reg_id != NULL && (guint) atoi (reg_id) == self->reg_id)))
        return c;
    } else {
      g_autofree char *uri = sipd_message_print_uri (response, c->m_url);
      if (g_ascii_strcasecmp (uri, self->contact) == 0)
        return c;
    }
  }
  return NULL;
}

static char *
join_route_set (SipdMessage *response, const void *first)
{
  g_autoptr (GString) joined = g_string_new (NULL);

  for (const sip_route_t *r = first; r != NULL; r = r->r_next) {
    g_autofree char *text = sipd_message_print_header (response, r);
    if (joined->len > 0)
      g_string_append (joined, ", ");
    g_string_append (joined, text);
  }
  return joined->len > 0 ? g_string_free (g_steal_pointer (&joined), FALSE) : NULL;
}

/* RFC 6223 §4.3, §5: the server agreed to receive keep-alives when the top
 * Via of the 2xx has keep=N, N the seconds between them; a bare "keep" (our
 * own, echoed) or none is no. A value out of range is none. */
static guint
keep_interval (SipdMessage *response)
{
  const sip_via_t *via = sipd_message_get_sip (response)->sip_via;
  const char *value = via ? msg_header_find_param ((const msg_common_t *) via, "keep") : NULL;
  char *end = NULL;
  guint64 seconds;

  if (value != NULL && *value == '=')
    value++;
  if (value == NULL || !g_ascii_isdigit (*value))
    return 0;
  seconds = g_ascii_strtoull (value, &end, 10);
  if (*end != '\0' || seconds == 0 || seconds > SIPD_KEEP_MAX_S)
    return 0;
  return (guint) seconds;
}

static void
accept_2xx (SipdRegistration *self, SipdMessage *response)
{
  sip_t *sip = sipd_message_get_sip (response);
  const sip_contact_t *ours = find_our_contact (self, response);
  const char *flow_timer = sipd_message_get_unknown_header (response, "Flow-Timer");
  guint expires = self->asked_expires_s;

  if (ours != NULL && ours->m_expires != NULL)
    expires = (guint) strtoul (ours->m_expires, NULL, 10);
  else if (sip->sip_expires != NULL)
    expires = (guint) sip->sip_expires->ex_delta;
  if (ours == NULL)
    g_message ("%s: the registrar's 200 does not list our Contact; assuming %u s", self->aor, expires);

  self->granted_expires_s = expires;
  self->outbound = self->want_outbound && sipd_message_has_option_tag (response, "Require", "outbound");
  self->flow_timer_s = flow_timer ? (guint) strtoul (flow_timer, NULL, 10) : 0;
  self->keep_s = keep_interval (response);
  g_clear_pointer (&self->stale_contact, g_free);
  g_free (self->service_route);
  self->service_route = join_route_set (response, sip->sip_service_route);
  g_free (self->preloaded_route);
  self->preloaded_route = self->route && self->service_route
                              ? g_strconcat (self->route, ", ", self->service_route, NULL)
                              : g_strdup (self->service_route ? self->service_route : self->route);
  g_free (self->path);
  self->path = join_route_set (response, sip->sip_path);
  g_clear_pointer (&self->failure, g_free);
  self->failure_status = 0;

  if (expires == 0) {
    fail (self, 200, "the registrar granted no time", 0);
    return;
  }
  kl_timer_start (self->refresh_timer, sipd_refresh_delay_ms (expires, self->renewal_s));
  if (self->state == SIPD_REGISTRATION_STATE_REGISTERED)
    self->changed (self, self->user_data); /* a refresh: the details may have changed */
  else
    set_state (self, SIPD_REGISTRATION_STATE_REGISTERED);
}

static void
on_response (SipdStack *stack, SipdMessage *response, const char *failure, gpointer user_data)
{
  SipdRegistration *self = user_data;
  guint status;
  g_autofree char *reason = NULL;

  self->transaction = 0;
  if (response == NULL) {
    if (self->removing) {
      set_state (self, SIPD_REGISTRATION_STATE_IDLE);
      return;
    }
    fail (self, 0, failure, 0);
    return;
  }

  status = sipd_message_get_status (response);
  reason = sipd_message_describe_refusal (response);

  if (status == 401 || status == 407) {
    SipdAuthVerdict verdict = sipd_auth_take_challenge (&self->auth, response);
    if (verdict == SIPD_AUTH_ANSWER) {
      send_register (self);
      return;
    }
    g_free (reason);
    reason = g_strdup_printf ("%u %s: %s", status, sipd_message_get_reason (response),
                              sipd_auth_get_failure (&self->auth));
  }
  if (status == 439 && self->reg_id > 0) {
    /* RFC 5626 §4.2.1: the first hop lacks outbound; register without it */
    g_message ("%s: %s; registering without outbound", self->aor, reason);
    self->reg_id = 0;
    self->want_outbound = FALSE;
    g_free (self->contact);
    self->contact = sipd_stack_contact_uri (self->stack, self->flow, self->user, FALSE);
    send_register (self);
    return;
  }
  if (status == 423 && sipd_message_get_sip (response)->sip_min_expires != NULL &&
      self->interval_rounds++ < MAX_INTERVAL_ROUNDS) {
    self->asked_expires_s = (guint) sipd_message_get_sip (response)->sip_min_expires->me_delta;
    self->expires_s = MAX (self->expires_s, self->asked_expires_s);
    send_register (self);
    return;
  }

  if (status >= 200 && status < 300)
    sipd_auth_take_info (&self->auth, response);
  if (self->removing) {
    if (status >= 200 && status < 300)
      self->granted_expires_s = 0;
    set_state (self, SIPD_REGISTRATION_STATE_IDLE);
    return;
  }
  if (status >= 200 && status < 300) {
    accept_2xx (self, response);
    return;
  }
  {
    const sip_retry_after_t *retry_after = sipd_message_get_sip (response)->sip_retry_after;
    fail (self, status, reason, retry_after ? (guint) retry_after->af_delta : 0);
  }
}

static void
send_register (SipdRegistration *self)
{
  g_autofree char *branch = sipd_new_branch ();
  g_autoptr (GBytes) request = NULL;

  cancel_pending (self);
  request = build_register (self, branch, self->removing ? 0 : self->asked_expires_s);
  self->transaction = sipd_stack_send_request (self->stack, self->flow, "REGISTER", branch, request,
                                               on_response, self);
}

static void
on_refresh_due (gpointer user_data)
{
  SipdRegistration *self = user_data;

  g_debug ("%s: refreshing the registration at %s", self->aor, self->registrar_uri);
  sipd_auth_new_request (&self->auth);
  self->interval_rounds = 0;
  self->asked_expires_s = self->expires_s;
  send_register (self);
}

/* Registers over the flow (which must be active), replacing any earlier
 * binding of the same instance and reg-id. */
void
sipd_registration_register (SipdRegistration *self, SipdFlow *flow)
{
  g_return_if_fail (flow != NULL);

  if (self->flow != flow) {
    g_clear_pointer (&self->flow, sipd_flow_unref);
    self->flow = sipd_flow_ref (flow);
  }
  /* without outbound a new flow is a new Contact: the old binding goes in the same REGISTER */
  g_clear_pointer (&self->stale_contact, g_free);
  if (self->contact != NULL && self->granted_expires_s > 0 && !self->outbound)
    self->stale_contact = g_steal_pointer (&self->contact);
  g_free (self->contact);
  self->contact = sipd_stack_contact_uri (self->stack, self->flow, self->user, self->want_outbound);
  if (g_strcmp0 (self->stale_contact, self->contact) == 0)
    g_clear_pointer (&self->stale_contact, g_free);
  self->removing = FALSE;
  sipd_auth_new_request (&self->auth);
  self->interval_rounds = 0;
  self->asked_expires_s = self->expires_s;
  kl_timer_stop (self->refresh_timer);
  set_state (self, SIPD_REGISTRATION_STATE_REGISTERING);
  send_register (self);
}

void
sipd_registration_unregister (SipdRegistration *self)
{
  kl_timer_stop (self->refresh_timer);
  if (self->flow == NULL || self->contact == NULL ||
      sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE ||
      self->state == SIPD_REGISTRATION_STATE_IDLE) {
    cancel_pending (self);
    set_state (self, SIPD_REGISTRATION_STATE_IDLE);
    return;
  }
  self->removing = TRUE;
  sipd_auth_new_request (&self->auth);
  set_state (self, SIPD_REGISTRATION_STATE_UNREGISTERING);
  send_register (self);
}

/* Removes, over another flow to the same registrar and through its outbound
 * proxy (route), the binding made over a flow that failed; FALSE when there is
 * none. With outbound, do not: the new registration of the same instance and
 * reg-id has replaced it. */
gboolean
sipd_registration_unregister_over (SipdRegistration *self, SipdFlow *flow, const char *route)
{
  if (self->contact == NULL || self->granted_expires_s == 0)
    return FALSE;
  g_free (self->route);
  self->route = g_strdup (route);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->flow = sipd_flow_ref (flow);
  kl_timer_stop (self->refresh_timer);
  self->removing = TRUE;
  sipd_auth_new_request (&self->auth);
  set_state (self, SIPD_REGISTRATION_STATE_UNREGISTERING);
  send_register (self);
  return TRUE;
}

/* Forgets the binding without telling the registrar (the flow is gone). */
void
sipd_registration_stop (SipdRegistration *self)
{
  cancel_pending (self);
  kl_timer_stop (self->refresh_timer);
  self->removing = FALSE;
  set_state (self, SIPD_REGISTRATION_STATE_IDLE);
}

SipdRegistrationState
sipd_registration_get_state (SipdRegistration *self)
{
  return self->state;
}

SipdFlow *
sipd_registration_get_flow (SipdRegistration *self)
{
  return self->flow;
}

const char *
sipd_registration_get_failure (SipdRegistration *self)
{
  return self->failure;
}

guint
sipd_registration_get_failure_status (SipdRegistration *self)
{
  return self->failure_status;
}

guint
sipd_registration_get_retry_after (SipdRegistration *self)
{
  return self->retry_after_s;
}

gboolean
sipd_registration_get_outbound (SipdRegistration *self)
{
  return self->outbound;
}

guint
sipd_registration_get_flow_timer (SipdRegistration *self)
{
  return self->flow_timer_s;
}

guint
sipd_registration_get_keep (SipdRegistration *self)
{
  return self->keep_s;
}

guint
sipd_registration_get_expires (SipdRegistration *self)
{
  return self->granted_expires_s;
}

const char *
sipd_registration_get_service_route (SipdRegistration *self)
{
  return self->service_route;
}

/* RFC 3608: the outbound proxy's Route, then the Service-Route of the last
 * 200; the outbound proxy's alone before one came. */
const char *
sipd_registration_get_preloaded_route (SipdRegistration *self)
{
  return self->preloaded_route ? self->preloaded_route : self->route;
}

const char *
sipd_registration_get_path (SipdRegistration *self)
{
  return self->path;
}

const char *
sipd_registration_get_contact (SipdRegistration *self)
{
  return self->contact;
}

const char *
sipd_registration_get_route (SipdRegistration *self)
{
  return self->route;
}

const char *
sipd_registration_get_aor (SipdRegistration *self)
{
  return self->aor;
}
