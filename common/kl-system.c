/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-system"

#include "kl-system.h"

#include <string.h>

#define SYS_CLASS_NET "/sys/class/net"

static char *
read_mac (const char *interface)
{
  g_autofree char *path = g_build_filename (SYS_CLASS_NET, interface, "address", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GString) hex = g_string_new (NULL);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  for (const char *p = g_strstrip (text); *p; p++) {
    if (g_ascii_isxdigit (*p))
      g_string_append_c (hex, g_ascii_toupper (*p));
    else if (*p != ':')
      return NULL;
  }
  if (hex->len != 12 || strspn (hex->str, "0") == 12)
    return NULL;
  return g_string_free (g_steal_pointer (&hex), FALSE);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The phone's MAC address as 12 upper-case hex digits, as the <mac>.cfg file is
 * named: that of the first interface, by name, with a non-zero Ethernet address.
 * NULL when there is none. */
char *
kl_system_mac (void)
{
  g_autoptr (GDir) dir = g_dir_open (SYS_CLASS_NET, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (strcmp (name, "lo") != 0)
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    char *mac = read_mac (g_ptr_array_index (names, i));
    if (mac != NULL)
      return mac;
  }
  return NULL;
}

guint32
kl_system_srv_seed (const char *mac)
{
  g_autofree char *machine_id = NULL;

  if (mac != NULL && *mac != '\0')
    return g_str_hash (mac);
  if (g_file_get_contents ("/etc/machine-id", &machine_id, NULL, NULL))
    return g_str_hash (g_strstrip (machine_id));
  return 0;
}
