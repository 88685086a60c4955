/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-links"

#include "netmond-links.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#define RECEIVE_BUFFER_SIZE 65536
#define SOCKET_BUFFER_SIZE (1024 * 1024) /* room for a burst of notifications before ENOBUFS */
#define DUMP_TIMEOUT_MS 1000

typedef struct {
  NetmondLink public; /* first, so that a Link is a NetmondLink */
  gboolean loopback;
} Link;

typedef struct {
  guint8 family;
  guint8 tos;
  guint8 gateway[16]; /* zeros without a gateway, and on a multipath route */
  guint32 metric;
  int ifindex;
} DefaultRoute;

typedef struct {
  GPtrArray *links; /* of Link, sorted by ifindex */
  GArray *routes;   /* of DefaultRoute, sorted by compare_routes () */
} Model;

typedef enum {
  DUMP_NONE,
  DUMP_LINKS,
  DUMP_ADDRESSES,
  DUMP_ROUTES,
} DumpPhase;

struct _NetmondLinks {
  NetmondLinksChangedFunc changed;
  gpointer user_data;
  Model *model;

  int fd; /* -1 when detached */
  guint32 port_id;
  GSource *source;
  guint8 *buffer;
  gboolean starting; /* within netmond_links_new (): a failure is its GError, not a warning */

  /* One dump at a time, links, then addresses, then routes, into a fresh model
   * that replaces the current one at the end; notifications go there meanwhile. */
  DumpPhase phase;
  guint32 seq;
  Model *pending;
  gboolean dump_again; /* notifications were lost, or the kernel interrupted the dump */
  GError *dump_error;
};

static void
link_free (gpointer data)
{
  Link *link = data;

  g_free (link->public.name);
  g_ptr_array_unref (link->public.addresses);
  g_free (link);
}

static gpointer
copy_string (gconstpointer string, gpointer user_data)
{
  return g_strdup (string);
}

static Link *
link_copy (const Link *link)
{
  Link *copy = g_new0 (Link, 1);

  copy->public.ifindex = link->public.ifindex;
  copy->public.name = g_strdup (link->public.name);
  copy->public.state = link->public.state;
  copy->public.addresses = g_ptr_array_copy (link->public.addresses, copy_string, NULL);
  copy->loopback = link->loopback;
  return copy;
}

static gboolean
address_is_ipv6 (const char *address)
{
  return strchr (address, ':') != NULL;
}

static gboolean
address_is_link_local (const char *address)
{
  g_autofree char *host = g_strndup (address, strcspn (address, "/"));
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);

  return inet != NULL && g_inet_address_get_is_link_local (inet);
}

static gboolean
link_has_address (const Link *link, const char *address, guint *ret_index)
{
  return g_ptr_array_find_with_equal_func (link->public.addresses, address, g_str_equal, ret_index);
}

static guint
link_count_ipv4 (const Link *link)
{
  guint count = 0;

  while (count < link->public.addresses->len && !address_is_ipv6 (link->public.addresses->pdata[count]))
    count++;
  return count;
}

/* IPv4 before IPv6, each in the order the kernel told them. */
static void
link_add_address (Link *link, const char *address)
{
  if (link_has_address (link, address, NULL))
    return;
  if (address_is_ipv6 (address))
    g_ptr_array_add (link->public.addresses, g_strdup (address));
  else
    g_ptr_array_insert (link->public.addresses, (int) link_count_ipv4 (link), g_strdup (address));
}

static gboolean
link_remove_address (Link *link, const char *address)
{
  guint index;

  if (!link_has_address (link, address, &index))
    return FALSE;
  g_ptr_array_remove_index (link->public.addresses, index);
  return TRUE;
}

static int
compare_routes (const DefaultRoute *a, const DefaultRoute *b)
{
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1; /* AF_INET first */
  if (a->metric != b->metric)
    return a->metric < b->metric ? -1 : 1;
  if (a->ifindex != b->ifindex)
    return a->ifindex < b->ifindex ? -1 : 1;
  if (a->tos != b->tos)
    return a->tos < b->tos ? -1 : 1;
  return memcmp (a->gateway, b->gateway, sizeof a->gateway);
}

typedef gboolean (*RouteMatchFunc) (const DefaultRoute *route, const DefaultRoute *key);

static gboolean
route_is (const DefaultRoute *route, const DefaultRoute *key)
{
  return compare_routes (route, key) == 0;
}

/* What the kernel's NLM_F_REPLACE replaces: the same destination, tos and metric. */
static gboolean
route_is_replaced_by (const DefaultRoute *route, const DefaultRoute *key)
{
  return route->family == key->family && route->tos == key->tos && route->metric == key->metric;
}

/* A key's family AF_UNSPEC matches both. */
static gboolean
route_goes_through (const DefaultRoute *route, const DefaultRoute *key)
{
  return route->ifindex == key->ifindex && (key->family == AF_UNSPEC || route->family == key->family);
}

static Model *
model_new (void)
{
  Model *model = g_new0 (Model, 1);

  model->links = g_ptr_array_new_with_free_func (link_free);
  model->routes = g_array_new (FALSE, FALSE, sizeof (DefaultRoute));
  return model;
}

static void
model_free (Model *model)
{
  g_ptr_array_unref (model->links);
  g_array_unref (model->routes);
  g_free (model);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Model, model_free)

static Model *
model_copy (const Model *model)
{
  Model *copy = g_new0 (Model, 1);

  copy->links = g_ptr_array_new_full (model->links->len, link_free);
  for (guint i = 0; i < model->links->len; i++)
    g_ptr_array_add (copy->links, link_copy (model->links->pdata[i]));
  copy->routes = g_array_copy (model->routes);
  return copy;
}

static Link *
model_find_link (const Model *model, int ifindex)
{
  for (guint i = 0; i < model->links->len; i++) {
    Link *link = model->links->pdata[i];

    if (link->public.ifindex == ifindex)
      return link;
  }
  return NULL;
}

static Link *
model_add_link (Model *model, int ifindex)
{
  Link *link = g_new0 (Link, 1);
  guint position = 0;

  link->public.ifindex = ifindex;
  link->public.addresses = g_ptr_array_new_with_free_func (g_free);
  while (position < model->links->len && ((Link *) model->links->pdata[position])->public.ifindex < ifindex)
    position++;
  g_ptr_array_insert (model->links, (int) position, link);
  return link;
}

static void
model_add_route (Model *model, const DefaultRoute *route)
{
  guint position = 0;

  while (position < model->routes->len
         && compare_routes (&g_array_index (model->routes, DefaultRoute, position), route) < 0)
    position++;
  if (position < model->routes->len
      && compare_routes (&g_array_index (model->routes, DefaultRoute, position), route) == 0)
    return;
  g_array_insert_val (model->routes, position, *route);
}

static void
model_remove_routes (Model *model, RouteMatchFunc match, const DefaultRoute *key)
{
  for (guint i = model->routes->len; i > 0; i--)
    if (match (&g_array_index (model->routes, DefaultRoute, i - 1), key))
      g_array_remove_index (model->routes, i - 1);
}

/* The kernel flushes a link's IPv4 routes when the link goes down or loses its
 * last IPv4 address, and says nothing about it (IPv6 sends RTM_DELROUTE). */
static void
model_forget_ipv4_routes (Model *model, int ifindex)
{
  DefaultRoute key = { .family = AF_INET, .ifindex = ifindex };

  model_remove_routes (model, route_goes_through, &key);
}

/* IPv4 before IPv6, then the lowest metric. */
static const Link *
model_get_default_route_link (const Model *model)
{
  for (guint i = 0; i < model->routes->len; i++) {
    const Link *link = model_find_link (model, g_array_index (model->routes, DefaultRoute, i).ifindex);

    if (link != NULL && link->public.state == NETMOND_LINK_STATE_UP)
      return link;
  }
  return NULL;
}

/* Fills table[type] with each attribute of a message's tail; FALSE if one runs
 * past the end of the message. */
static gboolean
parse_attributes (const struct rtattr *attribute, int length, const struct rtattr **table, gsize n_table)
{
  memset (table, 0, n_table * sizeof *table);
  for (; RTA_OK (attribute, length); attribute = RTA_NEXT (attribute, length))
    if (attribute->rta_type < n_table)
      table[attribute->rta_type] = attribute;
  return length <= 0;
}

static gboolean
get_u32 (const struct rtattr *attribute, guint32 *ret_value)
{
  if (RTA_PAYLOAD (attribute) < sizeof *ret_value)
    return FALSE;
  memcpy (ret_value, RTA_DATA (attribute), sizeof *ret_value);
  return TRUE;
}

/* The attributes after a message's fixed header of that size; FALSE if either runs past the message. */
static gboolean
parse_message (const struct nlmsghdr *header, gsize fixed, const struct rtattr **table, gsize n_table, const char *what)
{
  if (header->nlmsg_len < NLMSG_LENGTH (fixed) || header->nlmsg_len > G_MAXINT) {
    g_debug ("%s message: shorter than its fixed header", what);
    return FALSE;
  }
  if (!parse_attributes ((const struct rtattr *) ((const char *) NLMSG_DATA (header) + NLMSG_ALIGN (fixed)),
                         (int) (header->nlmsg_len - NLMSG_SPACE (fixed)), table, n_table)) {
    g_debug ("%s message: an attribute runs past its end", what);
    return FALSE;
  }
  return TRUE;
}

static NetmondLinkState
state_from_flags (unsigned int flags)
{
  if (!(flags & IFF_UP))
    return NETMOND_LINK_STATE_DOWN;
  if (!(flags & (IFF_LOWER_UP | IFF_RUNNING)))
    return NETMOND_LINK_STATE_NO_CARRIER;
  return NETMOND_LINK_STATE_UP;
}

static void
apply_link (Model *model, const struct nlmsghdr *header)
{
  const struct ifinfomsg *info = NLMSG_DATA (header);
  const struct rtattr *attributes[IFLA_MAX + 1];
  g_autofree char *name = NULL;
  Link *link;

  if (!parse_message (header, sizeof *info, attributes, G_N_ELEMENTS (attributes), "link"))
    return;
  /* A port leaving a bridge is an AF_BRIDGE RTM_DELLINK; the link stays. */
  if (info->ifi_family != AF_UNSPEC || info->ifi_index <= 0)
    return;
  if (attributes[IFLA_IFNAME] != NULL) {
    g_autofree char *raw = g_strndup (RTA_DATA (attributes[IFLA_IFNAME]), RTA_PAYLOAD (attributes[IFLA_IFNAME]));

    if (raw[0] == '\0') {
      g_debug ("link message: empty IFLA_IFNAME");
      return;
    }
    name = g_utf8_make_valid (raw, -1);
  }

  link = model_find_link (model, info->ifi_index);
  if (header->nlmsg_type == RTM_DELLINK) {
    DefaultRoute key = { .family = AF_UNSPEC, .ifindex = info->ifi_index };

    if (link != NULL)
      g_ptr_array_remove (model->links, link);
    model_remove_routes (model, route_goes_through, &key);
    return;
  }
  if (link == NULL && name == NULL) {
    g_debug ("link message: new link %d without IFLA_IFNAME", info->ifi_index);
    return;
  }
  if (link == NULL)
    link = model_add_link (model, info->ifi_index);
  if (name != NULL) {
    g_free (link->public.name);
    link->public.name = g_steal_pointer (&name);
  }
  link->public.state = state_from_flags (info->ifi_flags);
  link->loopback = (info->ifi_flags & IFF_LOOPBACK) != 0;
  if (link->public.state == NETMOND_LINK_STATE_DOWN)
    model_forget_ipv4_routes (model, info->ifi_index);
}

static void
apply_address (Model *model, const struct nlmsghdr *header)
{
  const struct ifaddrmsg *info = NLMSG_DATA (header);
  const struct rtattr *attributes[IFA_MAX + 1];
  const struct rtattr *address;
  gsize size;
  guint32 flags;
  Link *link;
  g_autoptr (GInetAddress) inet = NULL;
  g_autofree char *host = NULL;
  g_autofree char *text = NULL;

  if (!parse_message (header, sizeof *info, attributes, G_N_ELEMENTS (attributes), "address"))
    return;
  if (info->ifa_family == AF_INET)
    size = 4;
  else if (info->ifa_family == AF_INET6)
    size = 16;
  else
    return;
  address = attributes[IFA_LOCAL] != NULL ? attributes[IFA_LOCAL] : attributes[IFA_ADDRESS];
  if (address == NULL || RTA_PAYLOAD (address) != size || info->ifa_prefixlen > size * 8) {
    g_debug ("address message: no address, or one of the wrong size or prefix");
    return;
  }
  flags = info->ifa_flags;
  if (attributes[IFA_FLAGS] != NULL && !get_u32 (attributes[IFA_FLAGS], &flags)) {
    g_debug ("address message: short IFA_FLAGS");
    return;
  }
  link = model_find_link (model, (int) info->ifa_index);
  if (link == NULL) {
    g_debug ("address message: unknown link %u", info->ifa_index);
    return;
  }

  inet = g_inet_address_new_from_bytes (RTA_DATA (address),
                                        size == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  host = g_inet_address_to_string (inet);
  text = g_strdup_printf ("%s/%u", host, info->ifa_prefixlen);
  /* A tentative address is not usable until duplicate address detection
   * completes; the kernel then sends it again without the flag. */
  if (header->nlmsg_type == RTM_NEWADDR && !(flags & IFA_F_TENTATIVE))
    link_add_address (link, text);
  else if (link_remove_address (link, text) && header->nlmsg_type == RTM_DELADDR && size == 4
           && link_count_ipv4 (link) == 0)
    model_forget_ipv4_routes (model, link->public.ifindex);
}

static void
apply_route (Model *model, const struct nlmsghdr *header)
{
  const struct rtmsg *info = NLMSG_DATA (header);
  const struct rtattr *attributes[RTA_MAX + 1];
  DefaultRoute route = { 0 };
  guint32 table;
  guint32 ifindex;

  if (!parse_message (header, sizeof *info, attributes, G_N_ELEMENTS (attributes), "route"))
    return;
  /* an AF_UNSPEC dump also brings multicast routing tables (RTNL_FAMILY_IPMR …) */
  if (info->rtm_family != AF_INET && info->rtm_family != AF_INET6)
    return;
  table = info->rtm_table;
  if (attributes[RTA_TABLE] != NULL && !get_u32 (attributes[RTA_TABLE], &table)) {
    g_debug ("route message: short RTA_TABLE");
    return;
  }
  if (table != RT_TABLE_MAIN || info->rtm_dst_len != 0 || info->rtm_type != RTN_UNICAST)
    return;

  route.family = info->rtm_family;
  route.tos = info->rtm_tos;
  if (attributes[RTA_PRIORITY] != NULL && !get_u32 (attributes[RTA_PRIORITY], &route.metric)) {
    g_debug ("route message: short RTA_PRIORITY");
    return;
  }
  if (attributes[RTA_GATEWAY] != NULL) {
    gsize size = RTA_PAYLOAD (attributes[RTA_GATEWAY]);

    if (size != (info->rtm_family == AF_INET ? 4u : 16u)) {
      g_debug ("route message: RTA_GATEWAY of %" G_GSIZE_FORMAT " bytes", size);
      return;
    }
    memcpy (route.gateway, RTA_DATA (attributes[RTA_GATEWAY]), size);
  }
  if (attributes[RTA_OIF] != NULL) {
    if (!get_u32 (attributes[RTA_OIF], &ifindex)) {
      g_debug ("route message: short RTA_OIF");
      return;
    }
  } else if (attributes[RTA_MULTIPATH] != NULL) {
    const struct rtnexthop *nexthop = RTA_DATA (attributes[RTA_MULTIPATH]);
    gsize size = RTA_PAYLOAD (attributes[RTA_MULTIPATH]);

    if (size < sizeof *nexthop || nexthop->rtnh_len < sizeof *nexthop || nexthop->rtnh_len > size) {
      g_debug ("route message: malformed RTA_MULTIPATH");
      return;
    }
    ifindex = (guint32) nexthop->rtnh_ifindex;
  } else {
    g_debug ("route message: default route without an output interface (a nexthop object?)");
    return;
  }
  if (ifindex == 0 || ifindex > G_MAXINT) {
    g_debug ("route message: output interface %u", ifindex);
    return;
  }
  route.ifindex = (int) ifindex;

  if (header->nlmsg_type == RTM_DELROUTE) {
    model_remove_routes (model, route_is, &route);
    return;
  }
  if (header->nlmsg_flags & NLM_F_REPLACE)
    model_remove_routes (model, route_is_replaced_by, &route);
  model_add_route (model, &route);
}

static void
apply_message (Model *model, const struct nlmsghdr *header)
{
  switch (header->nlmsg_type) {
  case RTM_NEWLINK:
  case RTM_DELLINK:
    apply_link (model, header);
    break;
  case RTM_NEWADDR:
  case RTM_DELADDR:
    apply_address (model, header);
    break;
  case RTM_NEWROUTE:
  case RTM_DELROUTE:
    apply_route (model, header);
    break;
  default:
    break;
  }
}

static void
log_link_changes (const Link *before, const Link *after)
{
  const char *name = after->public.name;
  GPtrArray *old = before->public.addresses;
  GPtrArray *new = after->public.addresses;

  if (g_strcmp0 (before->public.name, name) != 0)
    g_message ("%s: renamed to %s", before->public.name, name);
  if (before->public.state != after->public.state)
    g_message ("%s: %s -> %s", name, netmond_link_state_to_string (before->public.state),
               netmond_link_state_to_string (after->public.state));
  for (guint i = 0; i < old->len; i++)
    if (!link_has_address (after, old->pdata[i], NULL))
      g_message ("%s: - %s", name, (const char *) old->pdata[i]);
  for (guint i = 0; i < new->len; i++)
    if (!link_has_address (before, new->pdata[i], NULL))
      g_message ("%s: + %s", name, (const char *) new->pdata[i]);
}

static gboolean
links_equal (const Link *a, const Link *b)
{
  if (g_strcmp0 (a->public.name, b->public.name) != 0 || a->public.state != b->public.state
      || a->public.addresses->len != b->public.addresses->len)
    return FALSE;
  for (guint i = 0; i < a->public.addresses->len; i++)
    if (!g_str_equal (a->public.addresses->pdata[i], b->public.addresses->pdata[i]))
      return FALSE;
  return TRUE;
}

static gboolean
routes_equal (GArray *a, GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (compare_routes (&g_array_index (a, DefaultRoute, i), &g_array_index (b, DefaultRoute, i)) != 0)
      return FALSE;
  return TRUE;
}

/* Logs what differs between two models; FALSE if nothing does. */
static gboolean
log_changes (const Model *before, const Model *after)
{
  const Link *old_default = model_get_default_route_link (before);
  const Link *new_default = model_get_default_route_link (after);
  gboolean changed = !routes_equal (before->routes, after->routes);

  for (guint i = 0; i < before->links->len; i++) {
    const Link *old = before->links->pdata[i];

    if (model_find_link (after, old->public.ifindex) == NULL) {
      g_message ("%s: removed", old->public.name);
      changed = TRUE;
    }
  }
  for (guint i = 0; i < after->links->len; i++) {
    const Link *new = after->links->pdata[i];
    const Link *old = model_find_link (before, new->public.ifindex);

    if (old == NULL) {
      g_message ("%s: new, %s", new->public.name, netmond_link_state_to_string (new->public.state));
      for (guint j = 0; j < new->public.addresses->len; j++)
        g_message ("%s: + %s", new->public.name, (const char *) new->public.addresses->pdata[j]);
      changed = TRUE;
    } else if (!links_equal (old, new)) {
      log_link_changes (old, new);
      changed = TRUE;
    }
  }
  if ((old_default == NULL) != (new_default == NULL)
      || (old_default != NULL && !g_str_equal (old_default->public.name, new_default->public.name)))
    g_message ("default route: %s -> %s", old_default != NULL ? old_default->public.name : "none",
               new_default != NULL ? new_default->public.name : "none");
  return changed;
}

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
  g_clear_pointer (&self->pending, model_free);
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
  g_clear_pointer (&self->pending, model_free);
  self->pending = model_new ();
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
    g_clear_pointer (&self->model, model_free);
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
  apply_message (self->pending != NULL ? self->pending : self->model, header);
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
  g_autoptr (Model) before = model_copy (self->model);

  while (receive_one (self))
    ;
  if (log_changes (before, self->model) && self->changed != NULL)
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
  g_autoptr (Model) before = model_copy (self->model);

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
  log_changes (before, self->model);
  return TRUE;
}

NetmondLinks *
netmond_links_new_detached (NetmondLinksChangedFunc changed, gpointer user_data)
{
  NetmondLinks *self = g_new0 (NetmondLinks, 1);

  self->changed = changed;
  self->user_data = user_data;
  self->model = model_new ();
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
  g_clear_pointer (&self->model, model_free);
  g_clear_pointer (&self->pending, model_free);
  g_clear_error (&self->dump_error);
  g_free (self);
}

void
netmond_links_feed (NetmondLinks *self, const guint8 *data, gsize length)
{
  g_autofree guint8 *aligned = NULL; /* the headers are read in place */
  g_autoptr (Model) before = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);

  aligned = g_memdup2 (data, length);
  before = model_copy (self->model);
  apply_buffer (self, aligned, length);
  if (log_changes (before, self->model) && self->changed != NULL)
    self->changed (self, self->user_data);
}

GPtrArray *
netmond_links_get_links (NetmondLinks *self)
{
  return self->model->links;
}

const NetmondLink *
netmond_links_lookup (NetmondLinks *self, const char *name)
{
  for (guint i = 0; i < self->model->links->len; i++) {
    const NetmondLink *link = self->model->links->pdata[i];

    if (g_strcmp0 (link->name, name) == 0)
      return link;
  }
  return NULL;
}

gboolean
netmond_links_has_default_route (NetmondLinks *self)
{
  return model_get_default_route_link (self->model) != NULL;
}

gboolean
netmond_links_has_usable_link (NetmondLinks *self)
{
  for (guint i = 0; i < self->model->links->len; i++) {
    const Link *link = self->model->links->pdata[i];

    if (link->loopback || link->public.state != NETMOND_LINK_STATE_UP)
      continue;
    for (guint j = 0; j < link->public.addresses->len; j++)
      if (!address_is_link_local (link->public.addresses->pdata[j]))
        return TRUE;
  }
  return FALSE;
}

const char *
netmond_links_get_default_route_link (NetmondLinks *self)
{
  const Link *link = model_get_default_route_link (self->model);

  return link != NULL ? link->public.name : NULL;
}

const char *
netmond_link_state_to_string (NetmondLinkState state)
{
  switch (state) {
  case NETMOND_LINK_STATE_DOWN:
    return "down";
  case NETMOND_LINK_STATE_NO_CARRIER:
    return "no-carrier";
  case NETMOND_LINK_STATE_UP:
    return "up";
  }
  g_return_val_if_reached ("?");
}
