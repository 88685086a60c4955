/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeplinectl run on a test bus, its output kept, and JSON checked by python3. */
#pragma once

#include "kl-test-bus.h"

G_BEGIN_DECLS

typedef struct {
  int status;
  char *out;
  char *err;
} KlTestRun;

void kl_test_run_clear (KlTestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KlTestRun, kl_test_run_clear)

/* keeplinectl ARGS… (NULL-terminated) on BUS; PREFIX, if not NULL, is a
 * command that runs it (setpriv as another user). */
void kl_test_keeplinectl_va (KlTestBus *bus, KlTestRun *ret_run, const char *const *prefix,
                             const char *first, va_list args);
void kl_test_keeplinectl (KlTestBus *bus, KlTestRun *ret_run, const char *first,
                          ...) G_GNUC_NULL_TERMINATED;

/* JSON parsed by python3 and CHECK, a Python expression on it (d), true. */
void kl_test_assert_json (const char *json, const char *check);

G_END_DECLS
