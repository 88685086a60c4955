/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-process.h"

#include <gio/gio.h>
#include <signal.h>

#define MAX_RUNNING 16
static volatile int running[MAX_RUNNING];

static const int fatal_signals[] = { SIGABRT, SIGTRAP, SIGSEGV, SIGBUS, SIGTERM };

static void
on_fatal_signal (int signal_number)
{
  for (int i = 0; i < MAX_RUNNING; i++) {
    if (running[i] > 0)
      kill (-running[i], SIGKILL);
  }
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

/* PID leads its own process group (setsid); SIGKILL goes to the whole group. */
void
kl_test_group_remember (int pid)
{
  static gboolean handler_installed;

  if (!handler_installed) {
    /* a failed assertion aborts; a fatal critical traps */
    for (guint i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
      signal (fatal_signals[i], on_fatal_signal);
    handler_installed = TRUE;
  }
  for (int i = 0; i < MAX_RUNNING; i++) {
    if (running[i] == 0) {
      running[i] = pid;
      return;
    }
  }
  g_error ("more than %d test servers at once", MAX_RUNNING);
}

void
kl_test_group_forget (int pid)
{
  for (int i = 0; i < MAX_RUNNING; i++) {
    if (running[i] == pid)
      running[i] = 0;
  }
}

/* SIGKILL to the whole group; returns once none of it is left (5 s at most). */
void
kl_test_group_kill (int pid)
{
  kill (-pid, SIGKILL);
  for (guint i = 0; i < 250 && kill (-pid, 0) == 0; i++)
    g_usleep (20 * 1000);
  kl_test_group_forget (pid);
}

/* Runs a command to its end; returns its stdout, stderr passed through. */
char *
kl_test_run (const char *const *argv, int *ret_status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  char *out = NULL;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (ret_status != NULL)
    *ret_status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  return out;
}
