/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-events"

#include "sipd-events.h"

#include <string.h>

#include "sipd-event-body.h"
#include "sipd-subscription.h"

#define MWI_EVENT "message-summary"
#define MWI_TYPE "application/simple-message-summary"
#define BLF_EVENT "dialog"
#define BLF_TYPE "application/dialog-info+xml"

typedef struct {
  SipdEvents *events;
  SipdSubscription *subscription;
  char *extension; /* BLF only */
} Entry;

struct _SipdEvents {
  SipdStack *stack;
  KlSipLine1 *iface;
  char *proxy;
  GPtrArray *entries;
  GHashTable *blf_states; /* extension → state */
  SipdFlow *flow;
  gboolean unsubscribing;
  SipdMwiSummary mwi; /* as the last message-summary said: shown again when the line returns */
};

static void
entry_free (Entry *entry)
{
  sipd_subscription_free (entry->subscription);
  g_free (entry->extension);
  g_free (entry);
}

/* A line's old subscriptions, ending after a configuration change, no longer
 * speak for it on D-Bus. */
static void
publish_subscriptions (SipdEvents *self)
{
  GVariantBuilder list;

  if (self->unsubscribing)
    return;
  g_variant_builder_init (&list, G_VARIANT_TYPE ("a(ssss)"));
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    g_variant_builder_add (&list, "(ssss)", sipd_subscription_get_event (entry->subscription),
                           sipd_subscription_get_resource (entry->subscription),
                           sipd_subscription_state_to_string (sipd_subscription_get_state (entry->subscription)),
                           self->proxy);
  }
  kl_sip_line1_set_subscriptions (self->iface, g_variant_builder_end (&list));
}

static void
publish_mwi (SipdEvents *self)
{
  if (self->unsubscribing)
    return;
  kl_sip_line1_set_messages_waiting (self->iface, self->mwi.waiting);
  kl_sip_line1_set_voice_messages (self->iface,
                                   g_variant_new ("(uu)", self->mwi.new_messages, self->mwi.old_messages));
}

static void
publish_blf (SipdEvents *self)
{
  GVariantBuilder states;
  GHashTableIter iter;
  const char *extension, *state;

  if (self->unsubscribing)
    return;
  g_variant_builder_init (&states, G_VARIANT_TYPE ("a{ss}"));
  g_hash_table_iter_init (&iter, self->blf_states);
  while (g_hash_table_iter_next (&iter, (gpointer *) &extension, (gpointer *) &state))
    g_variant_builder_add (&states, "{ss}", extension, state);
  kl_sip_line1_set_blf_states (self->iface, g_variant_builder_end (&states));
}

static void
on_state_changed (SipdSubscription *subscription, gpointer user_data)
{
  Entry *entry = user_data;

  if (sipd_subscription_get_state (subscription) == SIPD_SUBSCRIPTION_STATE_TERMINATED)
    g_message ("%s subscription to %s ended: %s", sipd_subscription_get_event (subscription),
               sipd_subscription_get_resource (subscription), sipd_subscription_get_failure (subscription));
  publish_subscriptions (entry->events);
}

/* A message-summary body on the line's voicemail properties. */
static gboolean
show_mwi (SipdEvents *self, const char *data, gsize length)
{
  g_autofree char *reason = NULL;
  SipdMwiSummary summary;

  if (!sipd_mwi_parse (data, length, &summary, &reason)) {
    g_message ("ignored a message-summary NOTIFY: %s", reason);
    return FALSE;
  }
  self->mwi = summary;
  publish_mwi (self);
  return TRUE;
}

static void
on_notified (SipdSubscription *subscription, const char *content_type, GBytes *body, gpointer user_data)
{
  Entry *entry = user_data;
  SipdEvents *self = entry->events;
  gsize length;
  const char *data = g_bytes_get_data (body, &length);
  g_autofree char *reason = NULL;

  if (self->unsubscribing)
    return;
  if (entry->extension == NULL) {
    (void) show_mwi (self, data, length);
    return;
  }

  {
    const char *state = sipd_blf_parse (data, length, &reason);
    if (state == NULL) {
      g_message ("ignored a dialog NOTIFY for %s: %s", entry->extension, reason);
      return;
    }
    g_hash_table_replace (self->blf_states, g_strdup (entry->extension), g_strdup (state));
    publish_blf (self);
  }
}

static const SipdSubscriptionCallbacks subscription_callbacks = { on_state_changed, on_notified };

static void
add_entry (SipdEvents *self, const SipdSubscriptionConfig *config, const char *extension)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->events = self;
  entry->extension = g_strdup (extension);
  entry->subscription = sipd_subscription_new (self->stack, config, &subscription_callbacks, entry);
  g_ptr_array_add (self->entries, entry);
}

/* "1002" → "sip:1002@domain"; "sip:1002@other" and "1002@other" stay as they are. */
static char *
blf_resource (const char *extension, const char *domain)
{
  if (g_str_has_prefix (extension, "sip:"))
    return g_strdup (extension);
  if (strchr (extension, '@') != NULL)
    return g_strconcat ("sip:", extension, NULL);
  return g_strdup_printf ("sip:%s@%s", extension, domain);
}

/* The subscriptions of a line under one plan: from its AOR (the primary or the
 * backup one), to resources in the domain of its proxy. */
SipdEvents *
sipd_events_new (SipdStack *stack,
                 KlSipLine1 *iface,
                 const SipdLineSettings *settings,
                 const SipdPlanServers *plan,
                 const char *user_agent)
{
  SipdEvents *self = g_new0 (SipdEvents, 1);
  const char *domain = strchr (plan->aor, '@') + 1;
  SipdSubscriptionConfig config = {
    .aor = plan->aor,
    .user = settings->user,
    .auth_user = settings->auth_user,
    .password = settings->password,
    .route = plan->route,
    .outbound = settings->outbound,
    .retry_s = settings->subscription_retry_s,
    .timeout_retry_s = settings->subscription_timeout_retry_s,
    .user_agent = user_agent,
  };

  self->stack = stack;
  self->iface = g_object_ref (iface);
  self->proxy = g_strdup (plan->proxy);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->blf_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (settings->explicit_mwi) {
    config.event = MWI_EVENT;
    config.accept = MWI_TYPE;
    config.resource = plan->aor;
    config.expires_s = settings->mwi_expires_s;
    add_entry (self, &config, NULL);
  }
  for (guint i = 0; settings->blf && settings->blf[i]; i++) {
    g_autofree char *resource = blf_resource (settings->blf[i], domain);
    config.event = BLF_EVENT;
    config.accept = BLF_TYPE;
    config.resource = resource;
    config.expires_s = settings->blf_expires_s;
    add_entry (self, &config, settings->blf[i]);
    g_hash_table_replace (self->blf_states, g_strdup (settings->blf[i]), g_strdup ("unknown"));
  }
  publish_mwi (self);
  publish_blf (self);
  publish_subscriptions (self);
  return self;
}

void
sipd_events_free (SipdEvents *self)
{
  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->blf_states);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_clear_object (&self->iface);
  g_free (self->proxy);
  g_free (self);
}

/* The Route of new subscriptions: the outbound proxy's, and the registrar's
 * Service-Route (RFC 3608). */
void
sipd_events_set_route (SipdEvents *self, const char *route)
{
  for (guint i = 0; i < self->entries->len; i++)
    sipd_subscription_set_route (((Entry *) g_ptr_array_index (self->entries, i))->subscription, route);
}

/* New subscriptions (new dialogs) over the flow the line just registered on. */
void
sipd_events_subscribe (SipdEvents *self, SipdFlow *flow)
{
  if (self->flow != flow) {
    g_clear_pointer (&self->flow, sipd_flow_unref);
    self->flow = sipd_flow_ref (flow);
  }
  for (guint i = 0; i < self->entries->len; i++)
    sipd_subscription_subscribe (((Entry *) g_ptr_array_index (self->entries, i))->subscription, flow);
}

/* The flow is gone: forget the dialogs; the line subscribes again on its next flow. */
void
sipd_events_stop (SipdEvents *self)
{
  g_clear_pointer (&self->flow, sipd_flow_unref);
  for (guint i = 0; i < self->entries->len; i++)
    sipd_subscription_stop (((Entry *) g_ptr_array_index (self->entries, i))->subscription);
}

/* Ends every subscription at its notifier (Expires: 0); see sipd_events_is_done(). */
void
sipd_events_unsubscribe (SipdEvents *self)
{
  self->unsubscribing = TRUE;
  for (guint i = 0; i < self->entries->len; i++)
    sipd_subscription_unsubscribe (((Entry *) g_ptr_array_index (self->entries, i))->subscription);
}

/* Ends, over another flow to the same proxy, the dialogs of a flow that failed
 * (see sipd_subscription_end_over()); FALSE when there were none. */
gboolean
sipd_events_end_over (SipdEvents *self, SipdFlow *flow, const char *gone_host, const char *route)
{
  gboolean any = FALSE;

  self->unsubscribing = TRUE;
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->flow = sipd_flow_ref (flow);
  for (guint i = 0; i < self->entries->len; i++)
    any |= sipd_subscription_end_over (((Entry *) g_ptr_array_index (self->entries, i))->subscription, flow,
                                       gone_host, route);
  return any;
}

gboolean
sipd_events_is_done (SipdEvents *self)
{
  for (guint i = 0; i < self->entries->len; i++) {
    SipdSubscriptionState state = sipd_subscription_get_state (((Entry *) g_ptr_array_index (self->entries, i))->subscription);
    if (state != SIPD_SUBSCRIPTION_STATE_IDLE && state != SIPD_SUBSCRIPTION_STATE_TERMINATED)
      return FALSE;
  }
  return TRUE;
}

gboolean
sipd_events_handle_notify (SipdEvents *self, SipdFlow *flow, SipdMessage *notify)
{
  for (guint i = 0; i < self->entries->len; i++) {
    if (sipd_subscription_handle_notify (((Entry *) g_ptr_array_index (self->entries, i))->subscription, flow,
                                         notify))
      return TRUE;
  }
  return FALSE;
}

/* An unsolicited message-summary NOTIFY (RFC 3842 §5.2: a PBX that sends
 * them without a SUBSCRIBE), which the line found came from its server. */
gboolean
sipd_events_show_unsolicited_mwi (SipdEvents *self, SipdMessage *notify)
{
  const sip_content_type_t *type = sipd_message_get_sip (notify)->sip_content_type;
  g_autoptr (GBytes) body = sipd_message_get_body (notify);
  gsize length;
  const char *data = g_bytes_get_data (body, &length);

  if (self->unsubscribing || type == NULL || type->c_type == NULL || g_ascii_strcasecmp (type->c_type, MWI_TYPE) != 0)
    return FALSE;
  return show_mwi (self, data, length);
}

/* Shows these subscriptions on D-Bus again, as when the line returns to them. */
void
sipd_events_publish (SipdEvents *self)
{
  publish_mwi (self);
  publish_blf (self);
  publish_subscriptions (self);
}

SipdFlow *
sipd_events_get_flow (SipdEvents *self)
{
  return self->flow;
}
