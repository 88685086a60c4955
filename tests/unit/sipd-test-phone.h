/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What sipd's manager gives its lines, made for a unit test: the
 * configuration parsed from the test's text (an error in it fails the
 * test), a stack made from it on the test's clock, and the lines' context. */
#pragma once

#include "kl-config.h"
#include "sipd-plan.h"

G_BEGIN_DECLS

typedef struct {
  KlConfig *config;
  SipdStack *stack;
  SipdLineContext context;
} TestPhone;

void test_phone_init (TestPhone *self, KlClock *clock, const char *config_text);
void test_phone_clear (TestPhone *self);

G_END_DECLS
