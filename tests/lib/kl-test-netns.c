/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-netns.h"

#include <unistd.h>

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

void
kl_test_netns_remove (void)
{
  /* deleting a namespace deletes the veth end in it, and so its peer */
  IP (FALSE, "netns", "delete", KL_TEST_NETNS_PHONE);
  IP (FALSE, "netns", "delete", KL_TEST_NETNS_SERVER);
}

void
kl_test_netns_create (void)
{
  kl_test_netns_remove ();
  IP (TRUE, "netns", "add", KL_TEST_NETNS_PHONE);
  IP (TRUE, "netns", "add", KL_TEST_NETNS_SERVER);
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "link", "add", KL_TEST_NETNS_PHONE_IF, "type", "veth", "peer", "name",
      "kl-server0", "netns", KL_TEST_NETNS_SERVER);
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "link", "set", "lo", "up");
  IP (TRUE, "-n", KL_TEST_NETNS_SERVER, "link", "set", "lo", "up");
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "address", "add", KL_TEST_NETNS_PHONE_ADDR "/24", "dev",
      KL_TEST_NETNS_PHONE_IF);
  IP (TRUE, "-n", KL_TEST_NETNS_SERVER, "address", "add", KL_TEST_NETNS_SERVER_ADDR "/24", "dev", "kl-server0");
  IP (TRUE, "-n", KL_TEST_NETNS_SERVER, "link", "set", "kl-server0", "up");
  kl_test_netns_set_phone_link (TRUE);
}

void
kl_test_netns_set_phone_link (gboolean up)
{
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "link", "set", KL_TEST_NETNS_PHONE_IF, up ? "up" : "down");
  if (up)
    IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "route", "replace", "default", "via", KL_TEST_NETNS_SERVER_ADDR);
}

void
kl_test_netns_set_phone_address (const char *old_cidr, const char *new_cidr)
{
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "address", "del", old_cidr, "dev", KL_TEST_NETNS_PHONE_IF);
  IP (TRUE, "-n", KL_TEST_NETNS_PHONE, "address", "add", new_cidr, "dev", KL_TEST_NETNS_PHONE_IF);
}
