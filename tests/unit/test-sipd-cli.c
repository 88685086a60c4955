/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The administrator's commands: sipd --check-config and --print-config. */
#include <string.h>

#include "kl-test-bus.h"

static int
run_sipd (const char *option, const char *dir, char **ret_out, char **ret_err)
{
  const char *argv[] = { kl_test_build_path ("sipd/sipd"), option, "--config-dir", dir,
                         "--mac", "00085D0A0B0C", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_newv (
    argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, ret_out, ret_err, &error);
  g_assert_no_error (error);
  return kl_test_process_wait (process);
}

static void
test_check_config_accepts_a_valid_configuration (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  kl_test_config_write (dir, "aastra.cfg", "sip proxy ip: 192.0.2.1\nsip line1 user name: 1001\n");
  kl_test_config_write (dir, "00085D0A0B0C.cfg", "sip line1 screen name: Desk\ntime server1: ntp\n");
  g_assert_cmpint (run_sipd ("--check-config", dir, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "is valid (read: aastra.cfg, 00085D0A0B0C.cfg)"));
  /* warnings are shown but do not fail the check */
  g_assert_cmpstr (err, ==, "00085D0A0B0C.cfg:2: warning: time server1: unknown key, ignored\n");
  kl_test_config_dir_remove (dir);
}

static void
test_check_config_prints_every_error_with_file_and_line (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  kl_test_config_write (dir, "aastra.cfg", "sip proxy ip: 192.0.2.1\nsip proxy port: 65536\n");
  kl_test_config_write (dir, "local.cfg", "# local\n\nsip line0 user name: 1000\n"
                                          "sip outbound support: 2\nsip line3 proxy ip:\n");
  g_assert_cmpint (run_sipd ("--check-config", dir, &out, &err), ==, 1);
  g_assert_true (g_str_has_prefix (err,
                   "aastra.cfg:2: error: sip proxy port: 65536 is above the maximum 65535\n"
                   "local.cfg:3: error: sip line0 user name: line 0 is out of range 1-9\n"
                   "local.cfg:4: error: sip outbound support: '2': expected 0 or 1\n"
                   "local.cfg:5: error: sip line3 proxy ip: empty host; leave the key out or write 0.0.0.0 for none\n4 errors in the configuration"));
  g_assert_cmpstr (out, ==, "");
  kl_test_config_dir_remove (dir);
}

static void
test_print_config_groups_by_line_and_masks_passwords (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  kl_test_config_write (dir, "aastra.cfg", "sip proxy ip: 192.0.2.1\nsip password: shared-secret\n"
                                           "sip line1 user name: 1001\nsip line4 user name: 1004\n"
                                           "sip line4 proxy ip: 192.0.2.4\n");
  g_assert_cmpint (run_sipd ("--print-config", dir, &out, &err), ==, 0);
  g_assert_null (strstr (out, "shared-secret"));
  g_assert_nonnull (strstr (out, "\n# line 1\nsip line1 outbound support: 0  # default\n"));
  g_assert_nonnull (strstr (out, "sip line1 password: ********\n"));
  g_assert_nonnull (strstr (out, "sip line1 proxy ip: 192.0.2.1\n"));
  g_assert_nonnull (strstr (out, "\n# line 2: not in use\n"));
  g_assert_nonnull (strstr (out, "sip line4 proxy ip: 192.0.2.4\n"));
  g_assert_nonnull (strstr (out, "sip line4 password: ********\n"));
  kl_test_config_dir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sipd/cli/check-config-accepts-a-valid-configuration",
                   test_check_config_accepts_a_valid_configuration);
  g_test_add_func ("/sipd/cli/check-config-prints-every-error-with-file-and-line",
                   test_check_config_prints_every_error_with_file_and_line);
  g_test_add_func ("/sipd/cli/print-config-groups-by-line-and-masks-passwords",
                   test_print_config_groups_by_line_and_masks_passwords);
  return g_test_run ();
}
