/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-sipp.h"

#include <string.h>

#include "kl-test-bus.h"
#include "kl-test-process.h"
#include "kl-test-sip-trace.h"

/* each message in sipp's trace comes after a line of dashes and the time */
#define TRACE_SEPARATOR "-----------------------------------------------"

KlTestSipp *
kl_test_sipp_start (const char *scenario,
                    const char *addr,
                    guint port,
                    const char *transport,
                    const char *remote,
                    const char *const *options)
{
  g_autoptr (GError) error = NULL;
  KlTestSipp *self = g_new0 (KlTestSipp, 1);
  g_autofree char *relative = g_strdup_printf ("tests/e2e/sipp/%s.xml", scenario);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autofree char *trace = NULL;
  g_autofree char *screen = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_assert_true (g_str_equal (transport, "udp") || g_str_equal (transport, "tcp"));
  self->dir = g_dir_make_tmp ("kl-test-sipp-XXXXXX", &error);
  g_assert_no_error (error);
  trace = g_build_filename (self->dir, "messages.log", NULL);
  screen = g_build_filename (self->dir, "screen.log", NULL);
  {
    const char *fixed[] = { "sipp", "-sf", kl_test_source_path (relative), "-i", addr, "-bind_local", "-mi", addr,
                            "-t", g_str_equal (transport, "udp") ? "u1" : "t1", "-m", "1",
                            "-nostdin", "-pause_msg_ign", "-trace_msg", "-message_file", trace };

    for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
      g_ptr_array_add (argv, (char *) fixed[i]);
  }
  if (port != 0) {
    g_ptr_array_add (argv, (char *) "-p");
    g_ptr_array_add (argv, port_text);
  }
  for (guint i = 0; options != NULL && options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  if (remote != NULL)
    g_ptr_array_add (argv, (char *) remote);
  g_ptr_array_add (argv, NULL);
  self->pid = kl_test_session_spawn ((const char *const *) argv->pdata, screen);
  return self;
}

KlTestSipp *
kl_test_sipp_start_uac (const char *scenario,
                        const char *addr,
                        KlTestKamailio *server,
                        const char *user,
                        const char *transport,
                        const char *const *options)
{
  g_autofree char *remote = g_strdup_printf ("%s:5060", server->addr);
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  const char *target[] = { "-s", user, "-key", "domain", server->domain };

  for (guint i = 0; i < G_N_ELEMENTS (target); i++)
    g_ptr_array_add (all, (char *) target[i]);
  for (guint i = 0; options != NULL && options[i] != NULL; i++)
    g_ptr_array_add (all, (char *) options[i]);
  g_ptr_array_add (all, NULL);
  return kl_test_sipp_start (scenario, addr, 0, transport, remote, (const char *const *) all->pdata);
}

int
kl_test_sipp_wait (KlTestSipp *self, guint timeout_ms)
{
  int status;

  if (self->pid == 0)
    return self->status;
  status = kl_test_session_wait (self->pid, timeout_ms);
  if (status == -2)
    return -1;
  self->pid = 0;
  self->status = status;
  return status;
}

/* An entry of its trace: the time, "UDP message received [N] bytes :" or
 * "… message sent …", an empty line and the message. */
static char *
received_message (char *entry, gpointer user_data)
{
  const char *body = strstr (entry, "\n\n");

  if (strstr (entry, " message received ") == NULL || body == NULL)
    return NULL;
  return g_strdup (body + 2);
}

guint
kl_test_sipp_count_invites (KlTestSipp *self, GPtrArray *ret_call_ids)
{
  g_autofree char *trace = g_build_filename (self->dir, "messages.log", NULL);

  return kl_test_sip_trace_count_invites (trace, TRACE_SEPARATOR, received_message, NULL, ret_call_ids);
}

char *
kl_test_sipp_first_received (KlTestSipp *self, const char *method)
{
  g_autofree char *trace = g_build_filename (self->dir, "messages.log", NULL);
  g_autofree char *prefix = g_strconcat (method, " ", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) entries = NULL;

  if (!g_file_get_contents (trace, &text, NULL, NULL))
    return NULL;
  entries = g_strsplit (text, TRACE_SEPARATOR, -1);
  for (guint i = 0; entries[i] != NULL; i++) {
    g_autofree char *message = received_message (entries[i], NULL);

    if (message != NULL && g_str_has_prefix (message, prefix))
      return g_steal_pointer (&message);
  }
  return NULL;
}

void
kl_test_sipp_stop (KlTestSipp *self)
{
  if (self->pid != 0)
    self->status = -1;
  kl_test_session_kill (&self->pid);
}

void
kl_test_sipp_free (KlTestSipp *self)
{
  const char *argv[] = { "rm", "-rf", self->dir, NULL };

  kl_test_sipp_stop (self);
  g_free (kl_test_run (argv, NULL));
  g_free (self->dir);
  g_free (self);
}
