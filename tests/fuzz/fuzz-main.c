/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without libFuzzer (a gcc build), a fuzz target runs each file named on the
 * command line, or each file of a directory, once: a regression test. */
#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
run_file (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  if (!g_file_get_contents (path, &data, &length, &error))
    g_error ("%s", error->message);
  LLVMFuzzerTestOneInput ((const guint8 *) data, length);
}

int
main (int argc, char **argv)
{
  guint runs = 0;

  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-')
      continue; /* libFuzzer options are meaningless here */
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)) != NULL) {
        g_autofree char *path = g_build_filename (argv[i], name, NULL);
        run_file (path);
        runs++;
      }
    } else {
      run_file (argv[i]);
      runs++;
    }
  }
  g_print ("ran %u inputs\n", runs);
  return runs > 0 ? 0 : 1;
}
