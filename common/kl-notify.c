/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

gboolean
kl_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  socklen_t length;
  gsize path_length;
  int fd;
  ssize_t sent;

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  path_length = strlen (path);
  if (path_length >= sizeof address.sun_path)
    return FALSE;
  memcpy (address.sun_path, path, path_length);
  if (path[0] == '@')
    address.sun_path[0] = '\0'; /* an abstract name */
  length = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + path_length + (path[0] == '/' ? 1 : 0));
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &address, length);
  if (sent < 0)
    g_debug ("notify %s: %s", path, g_strerror (errno));
  close (fd);
  return sent >= 0;
}

guint
kl_notify_watchdog_interval_ms (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 value;

  if (usec == NULL || (pid != NULL && g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid ()))
    return 0;
  value = g_ascii_strtoull (usec, NULL, 10);
  return (guint) MIN (value / 2000, G_MAXUINT);
}
