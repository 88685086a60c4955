/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-calls.h"

#include <string.h>

#include "sipd-call-input.h"
#include "sipd-error.h"

#define ENDED_CALL_LINGER_MS 5000 /* an ended call stays on the bus this long, for its EndReason */
#define QUIET_WAIT_MS 32000       /* and in memory at most this long, for a late 487 or ACK */

typedef struct {
  SipdCalls *calls;
  SipdCall *call;
  gint64 ended_ms; /* 0 while it goes on */
  gboolean exported;
} Entry;

struct _SipdCalls {
  SipdLineContext *context;
  GDBusObjectManagerServer *object_manager;
  KlSipManager1 *manager;
  GPtrArray *entries;
  guint next_id;
  guint ring_timeout_s[KL_CONFIG_MAX_LINES];
  gboolean call_waiting[KL_CONFIG_MAX_LINES];
  KlTimer *sweep_timer;
  GSource *line_changed_source;
  guint changed_lines; /* bit N-1 for line N */
};

static void
entry_free (Entry *entry)
{
  if (entry->exported)
    g_dbus_object_manager_server_unexport (entry->calls->object_manager, sipd_call_get_object_path (entry->call));
  sipd_call_free (entry->call);
  g_free (entry);
}

static void
publish_calls (SipdCalls *self)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    g_ptr_array_add (paths, (gpointer) sipd_call_get_object_path (entry->call));
  }
  g_ptr_array_add (paths, NULL);
  kl_sip_manager1_set_calls (self->manager, (const char *const *) paths->pdata);
}

/* Ended calls leave the bus after a while, and memory once quiet. */
static void
on_sweep (gpointer user_data)
{
  SipdCalls *self = user_data;
  KlClock *clock = self->context->clock;
  gint64 now = kl_clock_now_ms (clock);
  gint64 next = G_MAXINT64;
  gboolean changed = FALSE;

  for (guint i = self->entries->len; i-- > 0;) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    gint64 linger_until = entry->ended_ms + ENDED_CALL_LINGER_MS;

    if (entry->ended_ms == 0)
      continue;
    if (now >= linger_until && (sipd_call_is_quiet (entry->call) || now >= entry->ended_ms + QUIET_WAIT_MS)) {
      g_ptr_array_remove_index (self->entries, i);
      changed = TRUE;
      continue;
    }
    next = MIN (next, now >= linger_until ? entry->ended_ms + QUIET_WAIT_MS : linger_until);
  }
  if (changed)
    publish_calls (self);
  if (next != G_MAXINT64)
    kl_timer_start (self->sweep_timer, MAX (next - now, 1000));
}

static void
on_call_changed (SipdCall *call, gpointer user_data)
{
  Entry *entry = user_data;
  SipdCalls *self = entry->calls;

  if (sipd_call_get_state (call) != SIPD_CALL_STATE_ENDED || entry->ended_ms != 0)
    return;
  entry->ended_ms = kl_clock_now_ms (self->context->clock);
  if (!kl_timer_is_active (self->sweep_timer))
    kl_timer_start (self->sweep_timer, ENDED_CALL_LINGER_MS);
}

static const SipdCallCallbacks call_callbacks = { on_call_changed };

static gboolean
check_room (SipdCalls *self, GError **error)
{
  guint live = 0;

  for (guint i = 0; i < self->entries->len; i++)
    live += ((Entry *) g_ptr_array_index (self->entries, i))->ended_ms == 0;
  if (self->entries->len < SIPD_MAX_CALLS * 2 && live < SIPD_MAX_CALLS)
    return TRUE;
  g_set_error (error, SIPD_ERROR, SIPD_ERROR_TOO_MANY_CALLS, "%u calls at once is the most sipd holds",
               SIPD_MAX_CALLS);
  return FALSE;
}

static Entry *
add_entry (SipdCalls *self, SipdLine *line, SipdCallParams *params, char **ret_path)
{
  Entry *entry = g_new0 (Entry, 1);
  guint index = sipd_line_get_index (line);

  entry->calls = self;
  *ret_path = g_strdup_printf ("/org/keepline/Sip/Call/%u", ++self->next_id);
  params->stack = self->context->stack;
  params->line = line;
  params->object_path = *ret_path;
  params->user_agent = self->context->user_agent;
  params->ring_timeout_s = self->ring_timeout_s[index - 1];
  return entry;
}

static void
export_entry (SipdCalls *self, Entry *entry)
{
  g_ptr_array_add (self->entries, entry);
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (sipd_call_get_object (entry->call)));
  entry->exported = TRUE;
  publish_calls (self);
  if (sipd_call_get_state (entry->call) == SIPD_CALL_STATE_ENDED)
    on_call_changed (entry->call, entry); /* it failed at once */
}

const char *
sipd_calls_dial (SipdCalls *self, SipdLine *line, const char *uri, const char *sdp, GError **error)
{
  SipdLinePath path;
  g_autofree char *domain = NULL;
  g_autofree char *target = NULL;
  g_autofree char *object_path = NULL;
  SipdCallParams params;
  Entry *entry;

  if (sipd_line_get_settings (line) == NULL) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_LINE_DISABLED, "line %u has no user name configured",
                 sipd_line_get_index (line));
    return NULL;
  }
  if (!sipd_line_was_registered (line)) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_NOT_REGISTERED, "line %u was never registered",
                 sipd_line_get_index (line));
    return NULL;
  }
  if (!sipd_sdp_check (sdp, error) || !check_room (self, error))
    return NULL;
  if (sipd_line_get_request_path (line, NULL, &path))
    domain = sipd_uri_host (path.aor);
  target = sipd_call_target_uri (uri, domain ? domain : sipd_line_get_settings (line)->servers[SIPD_ROLE_PROXY][0].host, error);
  if (target == NULL)
    return NULL;
  entry = add_entry (self, line, &params, &object_path);
  entry->call = sipd_call_new_outgoing (&params, sipd_call_target_is_user (uri) ? uri : target, sdp, &call_callbacks,
                                        entry);
  export_entry (self, entry);
  return sipd_call_get_object_path (entry->call);
}

static guint
live_calls_on (SipdCalls *self, SipdLine *line, gboolean ringing_only)
{
  guint n = 0;

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    n += entry->ended_ms == 0 && sipd_call_get_line (entry->call) == line &&
         (!ringing_only || sipd_call_get_state (entry->call) == SIPD_CALL_STATE_RINGING);
  }
  return n;
}

static void
answer_busy (SipdCalls *self, SipdFlow *flow, SipdMessage *invite, const char *why)
{
  g_autofree char *tag = sipd_random_token (12);
  SipdBuilder *builder = sipd_builder_new_response (invite, 486, "Busy Here", tag);
  g_autoptr (GBytes) response = sipd_builder_finish (builder, NULL, NULL);

  g_message ("call %s: answered 486: %s", sipd_message_get_call_id (invite), why);
  sipd_stack_respond (self->context->stack, flow, invite, response);
}

const char *
sipd_calls_ring (SipdCalls *self, SipdLine *line, SipdFlow *flow, SipdMessage *invite)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *object_path = NULL;
  SipdCallParams params;
  Entry *entry;

  if (!check_room (self, &error)) {
    answer_busy (self, flow, invite, error->message);
    return NULL;
  }
  if (!self->call_waiting[sipd_line_get_index (line) - 1] && live_calls_on (self, line, FALSE) > 0) {
    answer_busy (self, flow, invite, "the line has a call and 'sip call waiting' is 0");
    return NULL;
  }
  if (live_calls_on (self, line, TRUE) >= SIPD_MAX_RINGING_PER_LINE) {
    answer_busy (self, flow, invite, "the line has as many calls ringing as it takes");
    return NULL;
  }
  entry = add_entry (self, line, &params, &object_path);
  entry->call = sipd_call_new_incoming (&params, flow, invite, &call_callbacks, entry);
  export_entry (self, entry);
  return sipd_call_get_object_path (entry->call);
}

gboolean
sipd_calls_handle_request (SipdCalls *self, SipdFlow *flow, SipdMessage *request)
{
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    if (sipd_call_handle_request (entry->call, flow, request))
      return TRUE;
  }
  return FALSE;
}

static gboolean
on_lines_changed (gpointer user_data)
{
  SipdCalls *self = user_data;
  guint changed = self->changed_lines;

  g_clear_pointer (&self->line_changed_source, g_source_unref);
  self->changed_lines = 0;
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    if (changed & (1u << (sipd_line_get_index (sipd_call_get_line (entry->call)) - 1)))
      sipd_call_line_changed (entry->call);
  }
  return G_SOURCE_REMOVE;
}

/* From the line's own callbacks: the calls look again once those are done. */
void
sipd_calls_line_changed (SipdCalls *self, guint line)
{
  self->changed_lines |= 1u << (line - 1);
  if (self->line_changed_source != NULL)
    return;
  self->line_changed_source = g_idle_source_new ();
  g_source_set_callback (self->line_changed_source, on_lines_changed, self, NULL);
  g_source_attach (self->line_changed_source, g_main_context_get_thread_default ());
}

void
sipd_calls_end_all (SipdCalls *self, const char *reason)
{
  for (guint i = 0; i < self->entries->len; i++)
    sipd_call_end (((Entry *) g_ptr_array_index (self->entries, i))->call, reason);
}

/* Before the stack they use goes: every call ends (what can be sent goes
 * now) and is dropped. */
void
sipd_calls_drop_all (SipdCalls *self, const char *reason)
{
  sipd_calls_end_all (self, reason);
  g_ptr_array_set_size (self->entries, 0);
  publish_calls (self);
}

SipdCall *
sipd_calls_find (SipdCalls *self, const char *object_path)
{
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    if (g_strcmp0 (sipd_call_get_object_path (entry->call), object_path) == 0)
      return entry->call;
  }
  return NULL;
}

guint
sipd_calls_count (SipdCalls *self)
{
  return self->entries->len;
}

void
sipd_calls_set_config (SipdCalls *self, KlConfig *config)
{
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    self->ring_timeout_s[i] = (guint) kl_config_get_int (config, i + 1, KL_CONFIG_KEY_RING_TIMEOUT);
    self->call_waiting[i] = kl_config_get_bool (config, i + 1, KL_CONFIG_KEY_CALL_WAITING);
  }
}

SipdCalls *
sipd_calls_new (SipdLineContext *context, GDBusObjectManagerServer *object_manager, KlSipManager1 *manager)
{
  SipdCalls *self = g_new0 (SipdCalls, 1);

  self->context = context;
  self->object_manager = g_object_ref (object_manager);
  self->manager = g_object_ref (manager);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->sweep_timer = kl_timer_new (context->clock, on_sweep, self);
  for (guint i = 0; i < KL_CONFIG_MAX_LINES; i++) {
    self->ring_timeout_s[i] = 180;
    self->call_waiting[i] = TRUE;
  }
  publish_calls (self);
  return self;
}

void
sipd_calls_free (SipdCalls *self)
{
  if (self->line_changed_source != NULL) {
    g_source_destroy (self->line_changed_source);
    g_source_unref (self->line_changed_source);
  }
  kl_timer_free (self->sweep_timer);
  g_ptr_array_unref (self->entries);
  g_object_unref (self->object_manager);
  g_object_unref (self->manager);
  g_free (self);
}
