/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-test-phone.h"

#include <string.h>

#define INSTANCE "urn:uuid:3c1e5b7a-942d-4f61-8a0c-6e52d719b344"

void
test_phone_init (TestPhone *self, KlClock *clock, const char *config_text)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  SipdStackParams params = { 0 };

  self->config = kl_config_new (NULL);
  kl_config_parse_data (self->config, "local.cfg", config_text, strlen (config_text), diagnostics);
  kl_config_check (self->config, diagnostics);
  g_assert_cmpuint (kl_config_diagnostics_count_errors (diagnostics), ==, 0);
  sipd_stack_params_from_config (&params, self->config);
  self->stack = sipd_stack_new (clock, &params, &error);
  g_assert_no_error (error);
  self->context = (SipdLineContext) {
    .clock = clock,
    .stack = self->stack,
    .resolver = sipd_resolver_new (clock, NULL, 1),
    .instance_id = g_strdup (INSTANCE),
    .user_agent = g_strdup ("keepline-test"),
  };
}

void
test_phone_clear (TestPhone *self)
{
  sipd_resolver_free (self->context.resolver);
  g_free (self->context.instance_id);
  g_free (self->context.user_agent);
  sipd_stack_free (self->stack);
  kl_config_unref (self->config);
}
