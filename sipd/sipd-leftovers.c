/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-leftovers"

#include "sipd-leftovers.h"

#include "kl-log.h"

#define RETIRING_LIFETIME_MS 32000 /* long enough for the un-REGISTERs and un-SUBSCRIBEs to be answered */

/* What a plan left at its servers when its flow failed. */
typedef struct {
  SipdPlanServers *servers;
  SipdRegistration *registration;
  SipdEvents *events;
} Stranded;

struct _SipdLeftovers {
  SipdLineContext *context;
  guint line;
  GPtrArray *retiring;        /* registrations saying goodbye */
  GPtrArray *retiring_events; /* subscriptions being ended */
  GPtrArray *stranded;        /* of Stranded */
  KlTimer *retiring_timer;
};

G_GNUC_PRINTF (2, 3)
static void
leftovers_log (SipdLeftovers *self, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("line %u", self->line);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "LINE", self->line, prefix, format, args);
  va_end (args);
}

static void
stranded_free (Stranded *stranded)
{
  g_clear_pointer (&stranded->registration, sipd_registration_free);
  g_clear_pointer (&stranded->events, sipd_events_free);
  sipd_plan_servers_free (stranded->servers);
  g_free (stranded);
}

static void
on_retiring_done (gpointer user_data)
{
  SipdLeftovers *self = user_data;

  g_ptr_array_set_size (self->retiring_events, 0);
  sipd_stack_close_unused_flows_soon (self->context->stack);
}

SipdLeftovers *
sipd_leftovers_new (SipdLineContext *context, guint line)
{
  SipdLeftovers *self = g_new0 (SipdLeftovers, 1);

  self->context = context;
  self->line = line;
  self->retiring = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_registration_free);
  self->retiring_events = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_events_free);
  self->stranded = g_ptr_array_new_with_free_func ((GDestroyNotify) stranded_free);
  self->retiring_timer = kl_timer_new (context->clock, on_retiring_done, self);
  return self;
}

void
sipd_leftovers_free (SipdLeftovers *self)
{
  if (self == NULL)
    return;
  kl_timer_free (self->retiring_timer);
  g_ptr_array_unref (self->retiring);
  g_ptr_array_unref (self->retiring_events);
  g_ptr_array_unref (self->stranded);
  g_free (self);
}

static gboolean
flow_works (SipdFlow *flow)
{
  return flow != NULL && sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE;
}

static gboolean
free_registration (gpointer registration)
{
  sipd_registration_free (registration);
  return G_SOURCE_REMOVE;
}

/* An old registration is done saying goodbye; it is freed once its own
 * callback has returned. */
static void
on_retiring_changed (SipdRegistration *registration, gpointer user_data)
{
  SipdLeftovers *self = user_data;
  SipdRegistrationState state = sipd_registration_get_state (registration);
  guint index;

  if (state != SIPD_REGISTRATION_STATE_IDLE && state != SIPD_REGISTRATION_STATE_FAILED)
    return;
  if (!g_ptr_array_find (self->retiring, registration, &index))
    return;
  g_ptr_array_steal_index_fast (self->retiring, index);
  g_idle_add (free_registration, registration);
  sipd_stack_close_unused_flows_soon (self->context->stack);
}

static void
watch_retiring (SipdLeftovers *self, SipdRegistration *registration)
{
  g_ptr_array_add (self->retiring, registration);
  sipd_registration_set_handler (registration, on_retiring_changed, self);
}

/* Un-registers where its flow still works; forgets it otherwise. A REGISTER
 * still under way may yet make a binding (a backup withdrawn a moment after
 * a suspicion began): it is followed by one with Expires 0 on the same flow. */
static void
retire_registration (SipdLeftovers *self, SipdRegistration *registration)
{
  SipdRegistrationState state = sipd_registration_get_state (registration);

  if ((state == SIPD_REGISTRATION_STATE_REGISTERED || state == SIPD_REGISTRATION_STATE_REGISTERING) &&
      flow_works (sipd_registration_get_flow (registration))) {
    watch_retiring (self, registration);
    sipd_registration_unregister (registration);
    return;
  }
  sipd_registration_free (registration);
}

static void
keep_retiring_events (SipdLeftovers *self, SipdEvents *events)
{
  g_ptr_array_add (self->retiring_events, events);
  kl_timer_start (self->retiring_timer, RETIRING_LIFETIME_MS);
}

static void
retire_events (SipdLeftovers *self, SipdEvents *events)
{
  if (flow_works (sipd_events_get_flow (events))) {
    sipd_events_unsubscribe (events);
    keep_retiring_events (self, events);
    return;
  }
  sipd_events_free (events);
}

void
sipd_leftovers_add_registration (SipdLeftovers *self, SipdRegistration *registration)
{
  if (registration != NULL)
    retire_registration (self, registration);
}

void
sipd_leftovers_add_dropped (SipdLeftovers *self, SipdPlan *plan)
{
  SipdRegistration *registration = sipd_plan_steal_registration (plan);
  SipdEvents *events = sipd_plan_steal_events (plan);

  sipd_plan_free (plan);
  retire_registration (self, registration);
  retire_events (self, events);
}

/* With outbound, a registrar replaces the binding of the same instance and
 * reg-id (RFC 5626 §6): un-registering the old one would remove the new one. */
static gboolean
same_binding (const SipdPlanServers *a, const SipdPlanServers *b, gboolean outbound)
{
  return outbound && g_str_equal (a->aor, b->aor) && g_str_equal (a->registrar_uri, b->registrar_uri);
}

/* What the old plan holds over a flow that failed is kept, to be removed
 * over the line's next flow to the same server (sipd_leftovers_clear_at()):
 * its registration, its subscriptions, or both (the proxy's flow may fail
 * while the registrar's works). */
static void
strand (SipdLeftovers *self, const SipdPlanServers *servers, SipdRegistration *registration, SipdEvents *events)
{
  Stranded *stranded = g_new0 (Stranded, 1);

  stranded->servers = sipd_plan_servers_copy (servers);
  stranded->registration = registration;
  stranded->events = events;
  if (self->stranded->len == SIPD_LEFTOVERS_MAX_STRANDED)
    g_ptr_array_remove_index (self->stranded, 0);
  g_ptr_array_add (self->stranded, stranded);
}

void
sipd_leftovers_add_moved (SipdLeftovers *self, SipdPlan *old, SipdPlan *current, gboolean outbound)
{
  const SipdPlanServers *servers = sipd_plan_get_servers (old);
  const SipdPlanServers *now = sipd_plan_get_servers (current);
  SipdRegistration *registration = sipd_plan_steal_registration (old);
  SipdEvents *events = sipd_plan_steal_events (old);
  gboolean registration_works = flow_works (sipd_registration_get_flow (registration));
  gboolean events_work = events == NULL || flow_works (sipd_events_get_flow (events));

  if (!registration_works || !events_work)
    strand (self, servers, registration_works ? NULL : g_steal_pointer (&registration),
            events_work ? NULL : g_steal_pointer (&events));
  /* the same Contact at the same registrar is one binding: removing the old removes the new */
  if (registration != NULL &&
      (same_binding (servers, now, outbound) ||
       (g_str_equal (servers->registrar_uri, now->registrar_uri) &&
        g_strcmp0 (sipd_registration_get_contact (registration),
                   sipd_registration_get_contact (sipd_plan_get_registration (current))) == 0)))
    sipd_registration_free (registration);
  else if (registration != NULL)
    retire_registration (self, registration);
  if (events != NULL)
    retire_events (self, events);
  sipd_plan_free (old);
}

static gboolean
same_remote (SipdFlow *a, SipdFlow *b)
{
  GInetSocketAddress *x = sipd_flow_get_remote (a);
  GInetSocketAddress *y = sipd_flow_get_remote (b);

  return g_inet_socket_address_get_port (x) == g_inet_socket_address_get_port (y) &&
         g_inet_address_equal (g_inet_socket_address_get_address (x), g_inet_socket_address_get_address (y));
}

void
sipd_leftovers_add_returned (SipdLeftovers *self, SipdPlan *old, SipdPlan *current, gboolean outbound)
{
  SipdFlow *was = sipd_flow_keeper_get_flow (sipd_plan_get_keeper (old));
  SipdFlow *now = sipd_flow_keeper_get_flow (sipd_plan_get_keeper (current));
  g_autofree char *remote = NULL;

  if (was == NULL || now == NULL || same_remote (was, now)) {
    sipd_leftovers_add_moved (self, old, current, outbound);
    return;
  }
  remote = g_inet_address_to_string (g_inet_socket_address_get_address (sipd_flow_get_remote (was)));
  leftovers_log (self, "removing the binding at %s:%u, the target it returned from", remote,
                 g_inet_socket_address_get_port (sipd_flow_get_remote (was)));
  sipd_leftovers_add_dropped (self, old);
}

void
sipd_leftovers_clear_at (SipdLeftovers *self, SipdPlan *current, gboolean outbound)
{
  const SipdPlanServers *now = sipd_plan_get_servers (current);
  SipdFlow *flow = sipd_flow_keeper_get_flow (sipd_plan_get_keeper (current));
  SipdFlow *request_flow = sipd_flow_keeper_get_flow (sipd_plan_get_request_keeper (current));

  for (guint i = self->stranded->len; i-- > 0;) {
    Stranded *stranded = g_ptr_array_index (self->stranded, i);

    if (stranded->registration != NULL && flow != NULL &&
        g_str_equal (stranded->servers->registrar_uri, now->registrar_uri)) {
      SipdRegistration *registration = g_steal_pointer (&stranded->registration);

      if (!same_binding (stranded->servers, now, outbound) &&
          sipd_registration_unregister_over (registration, flow, now->route)) {
        leftovers_log (self, "removing the binding a failed flow left at %s", now->registrar);
        watch_retiring (self, registration);
      } else {
        sipd_registration_free (registration);
      }
    }
    if (stranded->events != NULL && request_flow != NULL && g_str_equal (stranded->servers->proxy, now->proxy)) {
      SipdEvents *events = g_steal_pointer (&stranded->events);
      const char *gone_edge = stranded->servers->route != NULL ? stranded->servers->next_hop.host : NULL;

      if (sipd_events_end_over (events, request_flow, gone_edge, now->route)) {
        leftovers_log (self, "ending the subscriptions a failed flow left at %s", now->proxy);
        keep_retiring_events (self, events);
      } else {
        sipd_events_free (events);
      }
    }
    if (stranded->registration == NULL && stranded->events == NULL)
      g_ptr_array_remove_index (self->stranded, i);
  }
}

gboolean
sipd_leftovers_handle_notify (SipdLeftovers *self, SipdFlow *flow, SipdMessage *notify)
{
  for (guint i = 0; i < self->retiring_events->len; i++) {
    if (sipd_events_handle_notify (g_ptr_array_index (self->retiring_events, i), flow, notify))
      return TRUE;
  }
  return FALSE;
}

gboolean
sipd_leftovers_is_quiet (SipdLeftovers *self)
{
  if (self->retiring->len > 0)
    return FALSE;
  for (guint i = 0; i < self->retiring_events->len; i++) {
    if (!sipd_events_is_done (g_ptr_array_index (self->retiring_events, i)))
      return FALSE;
  }
  return TRUE;
}

void
sipd_leftovers_forget_stranded (SipdLeftovers *self)
{
  g_ptr_array_set_size (self->stranded, 0);
}

void
sipd_leftovers_clear (SipdLeftovers *self)
{
  g_ptr_array_set_size (self->retiring, 0);
  g_ptr_array_set_size (self->retiring_events, 0);
  g_ptr_array_set_size (self->stranded, 0);
  kl_timer_stop (self->retiring_timer);
}
