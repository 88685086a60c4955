/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-links"

#include "netmond-links.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "netmond-link-model.h"

#define RECEIVE_BUFFER_SIZE 65536
#define SOCKET_BUFFER_SIZE (1024 * 1024) /* room for a burst of notifications before ENOBUFS */
#define DUMP_TIMEOUT_MS 1000

typedef enum {
  DUMP_NONE,
  DUMP_LINKS,
  DUMP_ADDRESSES,
  DUMP_ROUTES,
} DumpPhase;

struct _NetmondLinks {
  NetmondLinksChangedFunc changed;
  gpointer user_data;
  NetmondLinkModel *model;

  int fd; /* -1 when detached */
  guint32 port_id;
  GSource *source;
  guint8 *buffer;
  gboolean starting; /* within netmond_links_new (): a failure is its GError, not a warning */

  /* One dump at a time, links, then addresses, then routes, into a fresh model
   * that replaces the current one at the end; notifications go there meanwhile. */
  DumpPhase phase;
  guint32 seq;
  NetmondLinkModel *pending;
  gboolean dump_again; /* notifications were lost, or the kernel interrupted the dump */
  GError *dump_error;
};

static const char *
phase_to_string (DumpPhase phase)
{
  switch (phase) {
  case DUMP_NONE:
    return "none";
  case DUMP_LINKS:
    return "links";
  case DUMP_ADDRESSES:
    return "addresses";
  case DUMP_ROUTES:
    return "routes";
  }
  g_return_val_if_reached ("?");
}

static void
dump_failed (NetmondLinks *self, GError *error)
{
  if (!self->starting)
    g_warning ("netlink dump: %s; the model stays as it was", error->message);
  g_clear_error (&self->dump_error);
  self->dump_error = error;
  self->phase = DUMP_NONE;
  g_clear_pointer (&self->pending, netmond_link_model_free);
}

/* The family of each request is AF_UNSPEC: all of them. */
static void
send_dump_request (NetmondLinks *self, DumpPhase phase)
{
  struct {
    struct nlmsghdr header;
    union {
      struct ifinfomsg link;
      struct ifaddrmsg address;
      struct rtmsg route;
    } body;
  } request = { 0 };
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  gsize body_length = 0;

  switch (phase) {
  case DUMP_NONE:
    break;
  case DUMP_LINKS:
    request.header.nlmsg_type = RTM_GETLINK;
    body_length = sizeof request.body.link;
    break;
  case DUMP_ADDRESSES:
    request.header.nlmsg_type = RTM_GETADDR;
    body_length = sizeof request.body.address;
    break;
  case DUMP_ROUTES:
    request.header.nlmsg_type = RTM_GETROUTE;
    body_length = sizeof request.body.route;
    break;
  }
  g_return_if_fail (body_length > 0);
  self->phase = phase;
  self->seq++;
  request.header.nlmsg_len = NLMSG_LENGTH (body_length);
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = self->seq;
  if (sendto (self->fd, &request, request.header.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0) {
    int saved_errno = errno;

    dump_failed (self, g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno), "sending a dump request: %s",
                                    g_strerror (saved_errno)));
  }
}

static void
start_dump (NetmondLinks *self)
{
  g_clear_pointer (&self->pending, netmond_link_model_free);
  self->pending = netmond_link_model_new ();
  self->dump_again = FALSE;
  send_dump_request (self, DUMP_LINKS);
}

static void
dump_done (NetmondLinks *self)
{
  if (self->dump_again) {
    g_debug ("dumping again from the start");
    start_dump (self);
    return;
  }
  switch (self->phase) {
  case DUMP_NONE:
    break;
  case DUMP_LINKS:
    send_dump_request (self, DUMP_ADDRESSES);
    break;
  case DUMP_ADDRESSES:
    send_dump_request (self, DUMP_ROUTES);
    break;
  case DUMP_ROUTES:
    self->phase = DUMP_NONE;
    g_clear_pointer (&self->model, netmond_link_model_free);
    self->model = g_steal_pointer (&self->pending);
    break;
  }
}

/* Lost notifications: the model is rebuilt from a fresh dump. */
static void
resync (NetmondLinks *self)
{
  if (self->phase != DUMP_NONE)
    self->dump_again = TRUE; /* the kernel runs one dump per socket at a time */
  else
    start_dump (self);
}

/* NLMSG_DONE and NLMSG_ERROR carry an errno, negative; 0 in an NLMSG_ERROR is an acknowledgement. */
static void
handle_dump_status (NetmondLinks *self, const struct nlmsghdr *header)
{
  int status = 0;

  if (header->nlmsg_len >= NLMSG_LENGTH (sizeof status))
    memcpy (&status, NLMSG_DATA (header), sizeof status);
  else if (header->nlmsg_type == NLMSG_ERROR)
    status = -EBADMSG; /* cut short before its errno */
  if (status < 0)
    dump_failed (self, g_error_new (G_IO_ERROR, g_io_error_from_errno (-status), "%s: %s",
                                    phase_to_string (self->phase), g_strerror (-status)));
  else if (header->nlmsg_type == NLMSG_DONE)
    dump_done (self);
}

static void
handle_message (NetmondLinks *self, const struct nlmsghdr *header)
{
  gboolean to_us = self->port_id != 0 && header->nlmsg_pid == self->port_id;

  if (to_us) {
    /* a reply to an earlier request is stale: a notification may have followed it */
    if (self->phase == DUMP_NONE || header->nlmsg_seq != self->seq)
      return;
    if (header->nlmsg_flags & NLM_F_DUMP_INTR)
      self->dump_again = TRUE;
    if (header->nlmsg_type == NLMSG_DONE || header->nlmsg_type == NLMSG_ERROR) {
      handle_dump_status (self, header);
      return;
    }
  }
  netmond_link_model_apply_message (self->pending != NULL ? self->pending : self->model, header);
}

static void
apply_buffer (NetmondLinks *self, const guint8 *data, gsize length)
{
  gsize offset = 0;

  while (length - offset >= sizeof (struct nlmsghdr)) {
    const struct nlmsghdr *header = (const struct nlmsghdr *) (data + offset);

    if (header->nlmsg_len < sizeof *header || header->nlmsg_len > length - offset) {
      g_debug ("a message of %u bytes with %" G_GSIZE_FORMAT " left in its buffer; skipping the rest",
               header->nlmsg_len, length - offset);
      return;
    }
    handle_message (self, header);
    offset = MIN (length, offset + NLMSG_ALIGN (header->nlmsg_len));
  }
  if (offset < length)
    g_debug ("skipping %" G_GSIZE_FORMAT " bytes that are not a whole message", length - offset);
}

/* Reads and applies one buffer; FALSE when there is nothing more to read. */
static gboolean
receive_one (NetmondLinks *self)
{
  struct sockaddr_nl from = { 0 };
  struct iovec vector = { .iov_base = self->buffer, .iov_len = RECEIVE_BUFFER_SIZE };
  struct msghdr message = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1 };
  ssize_t received = recvmsg (self->fd, &message, MSG_DONTWAIT);

  if (received < 0) {
    switch (errno) {
    case EINTR:
      return TRUE;
    case EAGAIN:
      return FALSE;
    case ENOBUFS:
      g_message ("kernel notifications were lost; dumping again");
      resync (self);
      return TRUE;
    default: {
      int saved_errno = errno;

      if (self->starting)
        dump_failed (self, g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno), "netlink receive: %s",
                                        g_strerror (saved_errno)));
      else
        g_warning ("netlink receive: %s", g_strerror (saved_errno));
      return FALSE;
    }
    }
  }
  if (from.nl_pid != 0) {
    g_debug ("ignoring a message from port %u, not the kernel", from.nl_pid);
    return TRUE;
  }
  if (message.msg_flags & MSG_TRUNC) {
    g_warning ("a netlink message was larger than %d bytes; dumping again", RECEIVE_BUFFER_SIZE);
    resync (self);
    return TRUE;
  }
  apply_buffer (self, self->buffer, (gsize) received);
  return TRUE;
}

/* The kernel sends each notification on its own: one change of a link is a
 * dozen buffers. A batch is what the socket holds when it becomes readable. */
static gboolean
on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  NetmondLinks *self = user_data;
  g_autoptr (NetmondLinkModel) before = netmond_link_model_copy (self->model);

  while (receive_one (self))
    ;
  if (netmond_link_model_log_changes (before, self->model) && self->changed != NULL)
    self->changed (self, self->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
open_socket (NetmondLinks *self, GError **error)
{
  struct sockaddr_nl local = {
    .nl_family = AF_NETLINK,
    .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
  };
  socklen_t local_length = sizeof local;
  int size = SOCKET_BUFFER_SIZE;

  self->fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (self->fd < 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "rtnetlink socket: %s",
                 g_strerror (saved_errno));
    return FALSE;
  }
  /* FORCE passes rmem_max where we may (CAP_NET_ADMIN) */
  if (setsockopt (self->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    (void) setsockopt (self->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind (self->fd, (struct sockaddr *) &local, sizeof local) < 0
      || getsockname (self->fd, (struct sockaddr *) &local, &local_length) < 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "binding the rtnetlink socket: %s",
                 g_strerror (saved_errno));
    return FALSE;
  }
  self->port_id = local.nl_pid;
  return TRUE;
}

/* The first dump, waited for here, so the model is complete when new returns. */
static gboolean
dump_sync (NetmondLinks *self, GError **error)
{
  g_autoptr (NetmondLinkModel) before = netmond_link_model_copy (self->model);

  start_dump (self);
  while (self->phase != DUMP_NONE) {
    struct pollfd watch = { .fd = self->fd, .events = POLLIN };
    int ready = poll (&watch, 1, DUMP_TIMEOUT_MS);

    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0) {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "poll: %s", g_strerror (saved_errno));
      return FALSE;
    }
    if (ready == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the kernel did not finish its dump within %d ms",
                   DUMP_TIMEOUT_MS);
      return FALSE;
    }
    while (self->phase != DUMP_NONE && receive_one (self))
      ;
  }
  if (self->dump_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&self->dump_error));
    return FALSE;
  }
  netmond_link_model_log_changes (before, self->model);
  return TRUE;
}

NetmondLinks *
netmond_links_new_detached (NetmondLinksChangedFunc changed, gpointer user_data)
{
  NetmondLinks *self = g_new0 (NetmondLinks, 1);

  self->changed = changed;
  self->user_data = user_data;
  self->model = netmond_link_model_new ();
  self->fd = -1;
  return self;
}

NetmondLinks *
netmond_links_new (NetmondLinksChangedFunc changed, gpointer user_data, GError **error)
{
  g_autoptr (NetmondLinks) self = netmond_links_new_detached (changed, user_data);

  if (!open_socket (self, error))
    return NULL;
  self->buffer = g_malloc (RECEIVE_BUFFER_SIZE);
  self->starting = TRUE;
  if (!dump_sync (self, error))
    return NULL;
  self->starting = FALSE;

  self->source = g_unix_fd_source_new (self->fd, G_IO_IN);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_set_name (self->source, "netmond-links");
  g_source_attach (self->source, g_main_context_get_thread_default ());
  return g_steal_pointer (&self);
}

void
netmond_links_free (NetmondLinks *self)
{
  if (self->source != NULL) {
    g_source_destroy (self->source);
    g_source_unref (self->source);
  }
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->buffer);
  g_clear_pointer (&self->model, netmond_link_model_free);
  g_clear_pointer (&self->pending, netmond_link_model_free);
  g_clear_error (&self->dump_error);
  g_free (self);
}

void
netmond_links_feed (NetmondLinks *self, const guint8 *data, gsize length)
{
  g_autofree guint8 *aligned = NULL; /* the headers are read in place */
  g_autoptr (NetmondLinkModel) before = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);

  aligned = g_memdup2 (data, length);
  before = netmond_link_model_copy (self->model);
  apply_buffer (self, aligned, length);
  if (netmond_link_model_log_changes (before, self->model) && self->changed != NULL)
    self->changed (self, self->user_data);
}

GPtrArray *
netmond_links_get_links (NetmondLinks *self)
{
  return netmond_link_model_get_links (self->model);
}

const NetmondLink *
netmond_links_lookup (NetmondLinks *self, const char *name)
{
  GPtrArray *links = netmond_link_model_get_links (self->model);

  for (guint i = 0; i < links->len; i++) {
    const NetmondLink *link = links->pdata[i];

    if (g_strcmp0 (link->name, name) == 0)
      return link;
  }
  return NULL;
}

gboolean
netmond_links_has_default_route (NetmondLinks *self)
{
  return netmond_link_model_get_default_route_link (self->model) != NULL;
}

gboolean
netmond_links_has_usable_link (NetmondLinks *self)
{
  return netmond_link_model_has_usable_link (self->model);
}

const char *
netmond_links_get_default_route_link (NetmondLinks *self)
{
  const NetmondLink *link = netmond_link_model_get_default_route_link (self->model);

  return link != NULL ? link->name : NULL;
}
