/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-netns.h"

#include <unistd.h>

#include "kl-test-e2e.h"
#include "kl-test-process.h"

static void
ip (const char *const *args, gboolean must_work)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_ptr_array_add (argv, (char *) "ip");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_free (kl_test_run ((const char *const *) argv->pdata, &status));
  if (must_work && status != 0) {
    g_autofree char *command = g_strjoinv (" ", (char **) argv->pdata);
    g_error ("'%s' failed with status %d", command, status);
  }
}

#define IP(must_work, ...)                                                                                         \
  do {                                                                                                             \
    const char *args_[] = { __VA_ARGS__, NULL };                                                                   \
    ip (args_, must_work);                                                                                         \
  } while (0)

gboolean
kl_test_netns_available (void)
{
  g_autofree char *path = g_find_program_in_path ("ip");

  return getuid () == 0 && path != NULL;
}

static const char *
netns_name (const char *role)
{
  g_autofree char *name = g_strdup_printf ("kl-test-%s-%u", role, kl_test_e2e_block ());

  return g_intern_string (name);
}

const char *
kl_test_netns_phone (void)
{
  return netns_name ("phone");
}

const char *
kl_test_netns_server (void)
{
  return netns_name ("server");
}

void
kl_test_netns_remove (void)
{
  /* deleting a namespace deletes the veth end in it, and so its peer */
  IP (FALSE, "netns", "delete", kl_test_netns_phone ());
  IP (FALSE, "netns", "delete", kl_test_netns_server ());
}

void
kl_test_netns_create (void)
{
  kl_test_netns_remove ();
  IP (TRUE, "netns", "add", kl_test_netns_phone ());
  IP (TRUE, "netns", "add", kl_test_netns_server ());
  IP (TRUE, "-n", kl_test_netns_phone (), "link", "add", KL_TEST_NETNS_PHONE_IF, "type", "veth", "peer", "name",
      "kl-server0", "netns", kl_test_netns_server ());
  IP (TRUE, "-n", kl_test_netns_phone (), "link", "set", "lo", "up");
  IP (TRUE, "-n", kl_test_netns_server (), "link", "set", "lo", "up");
  IP (TRUE, "-n", kl_test_netns_phone (), "address", "add", KL_TEST_NETNS_PHONE_ADDR "/24", "dev",
      KL_TEST_NETNS_PHONE_IF);
  IP (TRUE, "-n", kl_test_netns_server (), "address", "add", KL_TEST_NETNS_SERVER_ADDR "/24", "dev", "kl-server0");
  IP (TRUE, "-n", kl_test_netns_server (), "link", "set", "kl-server0", "up");
  kl_test_netns_set_phone_link (TRUE);
}

void
kl_test_netns_set_phone_link (gboolean up)
{
  IP (TRUE, "-n", kl_test_netns_phone (), "link", "set", KL_TEST_NETNS_PHONE_IF, up ? "up" : "down");
  if (up)
    IP (TRUE, "-n", kl_test_netns_phone (), "route", "replace", "default", "via", KL_TEST_NETNS_SERVER_ADDR);
}

void
kl_test_netns_set_phone_address (const char *old_cidr, const char *new_cidr)
{
  IP (TRUE, "-n", kl_test_netns_phone (), "address", "del", old_cidr, "dev", KL_TEST_NETNS_PHONE_IF);
  IP (TRUE, "-n", kl_test_netns_phone (), "address", "add", new_cidr, "dev", KL_TEST_NETNS_PHONE_IF);
}
