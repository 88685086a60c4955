/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-baresip.h"

#include <stdlib.h>
#include <string.h>

#include "kl-test-process.h"
#include "kl-test-sip-trace.h"

#define CTRL_PORT 4444
#define START_MS 10000
#define COMMAND_MS 5000
/* around each message of its SIP trace */
#define TRACE_START "\033[36;1m#\n"
#define TRACE_END "\033[;m"

typedef struct {
  char *type;
  char *call_id;
  gboolean taken; /* by a wait */
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->type);
  g_free (event->call_id);
  g_free (event);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* ausine makes 48 kHz stereo only; without a player, the call still runs */
static void
write_config (KlTestBaresip *self, KlTestKamailio *server, const char *transport)
{
  g_autofree char *trust = g_str_equal (transport, "tls")
                             ? g_strdup_printf ("sip_cafile\t\t%s/ca.pem\n", server->certdir)
                             : g_strdup ("");
  g_autofree char *config = g_strdup_printf ("sip_listen\t\t%s:5060\n"
                                             "%s"
                                             "net_interface\t\t%s\n"
                                             "module_path\t\t/usr/lib/baresip/modules\n"
                                             "module\t\t\tg711.so\n"
                                             "module\t\t\tausine.so\n"
                                             "module_tmp\t\taccount.so\n"
                                             "module_app\t\tmenu.so\n"
                                             "module_app\t\tctrl_tcp.so\n"
                                             "ctrl_tcp_listen\t\t%s:%u\n"
                                             "audio_source\t\tausine,440\n"
                                             "ausrc_srate\t\t48000\n"
                                             "ausrc_channels\t\t2\n"
                                             "audio_player\t\tnone,none\n"
                                             "audio_alert\t\tnone,none\n",
                                             self->addr, trust, self->addr, self->addr, CTRL_PORT);

  write_file (self->dir, "config", config);
  write_file (self->dir, "contacts", "");
}

/* The domain may be a name nothing resolves: every request goes to the
 * server's address as the outbound proxy. */
static void
write_account (KlTestBaresip *self, KlTestKamailio *server, const char *transport, gboolean auto_answer)
{
  guint port = g_str_equal (transport, "tls") ? 5061 : 5060;
  g_autofree char *account = g_strdup_printf ("<sip:%s@%s;transport=%s>;auth_pass=secret%s;"
                                              "outbound=\"sip:%s:%u;transport=%s\";regint=600;answermode=%s\n",
                                              self->user, server->domain, transport, self->user, server->addr, port,
                                              transport, auto_answer ? "auto" : "manual");

  write_file (self->dir, "accounts", account);
}

static void
wait_registered (KlTestBaresip *self, KlTestKamailio *server)
{
  g_autofree char *contact_host = g_strdup_printf ("@%s:", self->addr);

  for (guint waited = 0; waited < START_MS; waited += 50) {
    g_autofree char *bindings = kl_test_kamailio_bindings (server, self->user);

    if (strstr (bindings, contact_host) != NULL)
      return;
    g_usleep (50 * 1000);
  }
  g_error ("baresip %s did not register at %s; see %s/baresip.log", self->user, server->addr, self->dir);
}

static void
connect_ctrl (KlTestBaresip *self)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  for (guint waited = 0; waited < START_MS; waited += 50) {
    g_autoptr (GError) error = NULL;

    self->ctrl = g_socket_client_connect_to_host (client, self->addr, CTRL_PORT, NULL, &error);
    if (self->ctrl != NULL)
      return;
    g_usleep (50 * 1000);
  }
  g_error ("baresip's ctrl_tcp on %s:%u did not answer; see %s/baresip.log", self->addr, CTRL_PORT, self->dir);
}

KlTestBaresip *
kl_test_baresip_start (const char *addr,
                       KlTestKamailio *server,
                       const char *user,
                       const char *transport,
                       gboolean auto_answer)
{
  g_autoptr (GError) error = NULL;
  KlTestBaresip *self = g_new0 (KlTestBaresip, 1);
  g_autofree char *log = NULL;

  g_assert_true (g_str_equal (transport, "udp") || g_str_equal (transport, "tcp") || g_str_equal (transport, "tls"));
  self->addr = g_strdup (addr);
  self->user = g_strdup (user);
  self->input = g_string_new (NULL);
  self->events = g_ptr_array_new_with_free_func (event_free);
  self->dir = g_dir_make_tmp ("kl-test-baresip-XXXXXX", &error);
  g_assert_no_error (error);
  write_config (self, server, transport);
  write_account (self, server, transport, auto_answer);
  log = g_build_filename (self->dir, "baresip.log", NULL);
  {
    const char *argv[] = { "baresip", "-s", "-f", self->dir, NULL };

    self->pid = kl_test_session_spawn (argv, log);
  }
  connect_ctrl (self);
  wait_registered (self, server);
  return self;
}

/* A JSON string member of a flat object; ctrl_tcp's values here carry no
 * escaped quotes. */
static char *
json_string (const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf ("\"%s\":\"", key);
  const char *start = strstr (json, pattern);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (pattern);
  end = strchr (start, '"');
  return end ? g_strndup (start, end - start) : NULL;
}

/* Takes one netstring ("LENGTH:TEXT,") off the input, if it is all there. */
static char *
next_netstring (GString *input)
{
  char *colon = memchr (input->str, ':', input->len);
  gsize length, header;
  char *text;

  if (colon == NULL)
    return NULL;
  length = strtoul (input->str, NULL, 10);
  header = colon - input->str + 1;
  if (input->len < header + length + 1)
    return NULL;
  text = g_strndup (colon + 1, length);
  g_string_erase (input, 0, header + length + 1);
  return text;
}

/* Reads what ctrl_tcp sent until DEADLINE (monotonic µs) or until something
 * came; queues the events and returns the responses' texts. */
static GPtrArray *
read_ctrl (KlTestBaresip *self, gint64 deadline)
{
  GSocket *socket = g_socket_connection_get_socket (self->ctrl);
  GPtrArray *responses = g_ptr_array_new_with_free_func (g_free);
  gint64 left = deadline - g_get_monotonic_time ();
  char buffer[4096];
  gssize got;
  char *text;

  if (left <= 0 || !g_socket_condition_timed_wait (socket, G_IO_IN, left, NULL, NULL))
    return responses;
  got = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
  if (got <= 0)
    g_error ("baresip closed its control connection; see %s/baresip.log", self->dir);
  g_string_append_len (self->input, buffer, got);
  while ((text = next_netstring (self->input)) != NULL) {
    if (strstr (text, "\"event\":true") != NULL) {
      Event *event = g_new0 (Event, 1);

      event->type = json_string (text, "type");
      event->call_id = json_string (text, "id");
      g_ptr_array_add (self->events, event);
      g_free (text);
    } else {
      g_ptr_array_add (responses, text);
    }
  }
  return responses;
}

static gboolean
is_answer_to (const char *response, const char *token)
{
  g_autofree char *its_token = json_string (response, "token");

  return g_strcmp0 (its_token, token) == 0;
}

/* Runs one command of baresip's menu and checks that it went through. */
static void
command (KlTestBaresip *self, const char *name, const char *params)
{
  g_autofree char *token = g_strdup_printf ("%u", ++self->commands);
  g_autofree char *escaped = g_strescape (params, NULL);
  g_autofree char *json = g_strdup_printf ("{\"command\":\"%s\",\"params\":\"%s\",\"token\":\"%s\"}", name,
                                           escaped, token);
  g_autofree char *netstring = g_strdup_printf ("%zu:%s,", strlen (json), json);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (self->ctrl));
  gint64 deadline = g_get_monotonic_time () + COMMAND_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (out, netstring, strlen (netstring), NULL, NULL, &error);
  g_assert_no_error (error);
  while (g_get_monotonic_time () < deadline) {
    g_autoptr (GPtrArray) responses = read_ctrl (self, deadline);

    for (guint i = 0; i < responses->len; i++) {
      const char *response = responses->pdata[i];

      if (!is_answer_to (response, token))
        continue;
      if (strstr (response, "\"ok\":true") == NULL)
        g_error ("baresip refused %s %s: %s", name, params, response);
      return;
    }
  }
  g_error ("baresip did not answer the command %s %s", name, params);
}

void
kl_test_baresip_dial (KlTestBaresip *self, const char *uri)
{
  command (self, "dial", uri);
}

void
kl_test_baresip_answer (KlTestBaresip *self)
{
  command (self, "accept", "");
}

void
kl_test_baresip_hangup (KlTestBaresip *self)
{
  command (self, "hangup", "");
}

static Event *
take_event (KlTestBaresip *self, const char *type)
{
  for (guint i = 0; i < self->events->len; i++) {
    Event *event = self->events->pdata[i];

    if (!event->taken && g_strcmp0 (event->type, type) == 0) {
      event->taken = TRUE;
      return event;
    }
  }
  return NULL;
}

const char *
kl_test_baresip_wait_for (KlTestBaresip *self, const char *event, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  Event *taken;

  while ((taken = take_event (self, event)) == NULL && g_get_monotonic_time () < deadline)
    g_ptr_array_unref (read_ctrl (self, deadline));
  if (taken == NULL)
    return NULL;
  return taken->call_id ? taken->call_id : "";
}

/* FIRST_LINE of a trace entry: "UDP 127.0.6.2:5060 -> 127.0.6.10:5060" */
static gboolean
came_from_elsewhere (KlTestBaresip *self, const char *first_line)
{
  g_auto (GStrv) words = g_strsplit (first_line, " ", 4);
  g_autofree char *own = g_strdup_printf ("%s:", self->addr);

  return g_strv_length (words) == 4 && !g_str_has_prefix (words[1], own);
}

/* An entry of its trace: the addresses, the message, then TRACE_END. */
static char *
received_message (char *entry, gpointer user_data)
{
  char *message = strchr (entry, '\n');
  char *end = strstr (entry, TRACE_END);

  if (message == NULL || end == NULL || end < message)
    return NULL;
  *message++ = '\0';
  if (!came_from_elsewhere (user_data, entry))
    return NULL;
  return g_strndup (message, end - message);
}

guint
kl_test_baresip_count_invites (KlTestBaresip *self, GPtrArray *ret_call_ids)
{
  g_autofree char *log = g_build_filename (self->dir, "baresip.log", NULL);

  return kl_test_sip_trace_count_invites (log, TRACE_START, received_message, self, ret_call_ids);
}

void
kl_test_baresip_stop (KlTestBaresip *self)
{
  g_clear_object (&self->ctrl);
  kl_test_session_kill (&self->pid);
}

void
kl_test_baresip_free (KlTestBaresip *self)
{
  const char *argv[] = { "rm", "-rf", self->dir, NULL };

  kl_test_baresip_stop (self);
  g_free (kl_test_run (argv, NULL));
  g_string_free (self->input, TRUE);
  g_ptr_array_unref (self->events);
  g_free (self->dir);
  g_free (self->user);
  g_free (self->addr);
  g_free (self);
}
