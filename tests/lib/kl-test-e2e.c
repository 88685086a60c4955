/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-e2e.h"

#include <stdio.h>
#include <string.h>

#include "kl-test-bus.h"
#include "kl-test-kamailio.h"

#define BLOCK_OPTION "--address-block="
#define SHARD_OPTION "--shard="

static guint block;      /* N of 127.0.N.0/24, 0 before kl_test_e2e_init() */
static guint shard = 1;  /* I of I/M */
static guint shards = 1; /* M */
static guint cases_seen;
static char *certificates;

static void
usage (const char *what)
{
  g_printerr ("%s\nan end-to-end test takes " BLOCK_OPTION "127.0.N.0/24 (1 <= N <= 255) and, optionally, "
              SHARD_OPTION "I/M (1 <= I <= M); tests/meson.build gives each test its own\n",
              what);
  exit (2);
}

static void
parse_block (const char *text)
{
  g_autofree char *canonical = NULL;
  guint n;
  char tail;

  if (sscanf (text, "127.0.%u.0/24%c", &n, &tail) != 1 || n < 1 || n > 255)
    usage ("the address block must be 127.0.N.0/24 with 1 <= N <= 255");
  /* sscanf also takes "127.0.+3.0/24" or "127.0.03.0/24" */
  canonical = g_strdup_printf ("127.0.%u.0/24", n);
  if (strcmp (text, canonical) != 0)
    usage ("the address block must be written 127.0.N.0/24");
  block = n;
}

static void
parse_shard (const char *text)
{
  guint i, m;
  char tail;

  if (sscanf (text, "%u/%u%c", &i, &m, &tail) != 2 || m < 1 || i < 1 || i > m)
    usage ("the shard must be I/M with 1 <= I <= M");
  shard = i;
  shards = m;
}

void
kl_test_e2e_init (int *argc, char ***argv)
{
  int kept = 1;

  for (int i = 1; i < *argc; i++) {
    const char *arg = (*argv)[i];

    if (g_str_has_prefix (arg, BLOCK_OPTION))
      parse_block (arg + strlen (BLOCK_OPTION));
    else if (g_str_has_prefix (arg, SHARD_OPTION))
      parse_shard (arg + strlen (SHARD_OPTION));
    else
      (*argv)[kept++] = (*argv)[i];
  }
  (*argv)[kept] = NULL;
  *argc = kept;
  if (block == 0)
    usage ("no address block given");
  g_test_init (argc, argv, NULL);
}

guint
kl_test_e2e_block (void)
{
  g_assert_cmpuint (block, >, 0);
  return block;
}

const char *
kl_test_e2e_address (guint host)
{
  g_autofree char *address = NULL;

  g_assert_cmpuint (host, >=, 1);
  g_assert_cmpuint (host, <=, 254);
  address = g_strdup_printf ("127.0.%u.%u", kl_test_e2e_block (), host);
  return g_intern_string (address);
}

gboolean
kl_test_e2e_shard_takes_next (void)
{
  return cases_seen++ % shards == shard - 1;
}

const char *
kl_test_e2e_certificates (void)
{
  if (certificates == NULL)
    certificates = kl_test_certificates_new ();
  return certificates;
}

int
kl_test_e2e_run (void)
{
  int status = g_test_run ();

  if (certificates != NULL)
    kl_test_config_dir_remove (certificates);
  g_clear_pointer (&certificates, g_free);
  return status;
}
