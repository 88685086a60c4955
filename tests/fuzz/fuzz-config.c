/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as a .cfg file. The loader must report, never crash. */
#include "kl-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (KlConfig) config = kl_config_new (NULL);
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autofree char *text = NULL;

  kl_config_parse_data (config, "fuzz.cfg", (const char *) data, size, diagnostics);
  kl_config_check (config, diagnostics);
  for (guint i = 0; i < diagnostics->len; i++)
    g_free (kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, i)));
  text = kl_config_to_text (config);
  return 0;
}
