/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real servers an end-to-end test starts (Kamailio, dnsmasq) run in their
 * own session, out of reach of the death signal the test gives its children;
 * they are remembered here by PID so that a failed assertion or a crash of the
 * test still takes their whole process group down. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void kl_test_group_remember (int pid);
void kl_test_group_forget (int pid);
void kl_test_group_kill (int pid);

char *kl_test_run (const char *const *argv, int *ret_status);

int kl_test_session_spawn (const char *const *argv, const char *log_file);
int kl_test_session_wait (int pid, guint timeout_ms);
void kl_test_session_kill (int *pid);

G_END_DECLS
