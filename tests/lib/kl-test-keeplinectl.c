/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-keeplinectl.h"

#include "kl-test-process.h"

void
kl_test_run_clear (KlTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

void
kl_test_keeplinectl_va (KlTestBus *bus, KlTestRun *ret_run, const char *const *prefix,
                        const char *first, va_list args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; prefix && prefix[i]; i++)
    g_ptr_array_add (argv, (char *)prefix[i]);
  g_ptr_array_add (argv, (char *)kl_test_build_path ("keeplinectl/keeplinectl"));
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  g_ptr_array_add (argv, NULL);
  process = kl_test_bus_spawn (bus, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               (const char *const *)argv->pdata);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &ret_run->out, &ret_run->err, &error);
  g_assert_no_error (error);
  ret_run->status = kl_test_process_wait (process);
}

void
kl_test_keeplinectl (KlTestBus *bus, KlTestRun *ret_run, const char *first, ...)
{
  va_list args;

  va_start (args, first);
  kl_test_keeplinectl_va (bus, ret_run, NULL, first, args);
  va_end (args);
}

void
kl_test_assert_json (const char *json, const char *check)
{
  g_autofree char *script
      = g_strdup_printf ("import json, sys\nd = json.load(sys.stdin)\nassert %s, d\n", check);
  const char *argv[] = { "python3", "-c", script, NULL };
  g_autoptr (GSubprocess) python = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  python = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (python, json, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (kl_test_process_wait (python) != 0)
    g_error ("JSON check '%s' failed on:\n%s\n%s", check, json, err);
}
