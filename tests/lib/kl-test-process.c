/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-process.h"

#include <gio/gio.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void
start_session (gpointer data)
{
  setsid ();
}

/* Starts a program that the test itself reaps, in its own session, stdin from
 * /dev/null, stdout and stderr into LOG_FILE; returns its PID, remembered. */
int
kl_test_session_spawn (const char *const *argv, const char *log_file)
{
  g_autoptr (GError) error = NULL;
  int log_fd = open (log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  GPid pid = 0;

  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_fds (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, start_session, NULL, &pid, -1,
                          log_fd, log_fd, &error);
  close (log_fd);
  g_assert_no_error (error);
  kl_test_group_remember (pid);
  return pid;
}

/* Its exit status once it has ended (a signal counts as -1), or -2 if it is
 * still running after TIMEOUT_MS. */
int
kl_test_session_wait (int pid, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  int status;

  while (waitpid (pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time () >= deadline)
      return -2;
    g_usleep (20 * 1000);
  }
  kl_test_group_kill (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* SIGKILL to the session of *PID, unless it is 0, then sets it to 0; reaps
 * it first, since a zombie still counts as a member of its group. */
void
kl_test_session_kill (int *pid)
{
  if (*pid == 0)
    return;
  kill (-*pid, SIGKILL);
  waitpid (*pid, NULL, 0);
  kl_test_group_kill (*pid);
  *pid = 0;
}
