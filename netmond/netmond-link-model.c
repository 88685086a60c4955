/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond-links"

#include "netmond-link-model.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

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

struct _NetmondLinkModel {
  GPtrArray *links; /* of Link, sorted by ifindex */
  GArray *routes;   /* of DefaultRoute, sorted by compare_routes () */
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

NetmondLinkModel *
netmond_link_model_new (void)
{
  NetmondLinkModel *model = g_new0 (NetmondLinkModel, 1);

  model->links = g_ptr_array_new_with_free_func (link_free);
  model->routes = g_array_new (FALSE, FALSE, sizeof (DefaultRoute));
  return model;
}

void
netmond_link_model_free (NetmondLinkModel *model)
{
  g_ptr_array_unref (model->links);
  g_array_unref (model->routes);
  g_free (model);
}

NetmondLinkModel *
netmond_link_model_copy (const NetmondLinkModel *model)
{
  NetmondLinkModel *copy = g_new0 (NetmondLinkModel, 1);

  copy->links = g_ptr_array_new_full (model->links->len, link_free);
  for (guint i = 0; i < model->links->len; i++)
    g_ptr_array_add (copy->links, link_copy (model->links->pdata[i]));
  copy->routes = g_array_copy (model->routes);
  return copy;
}

static Link *
model_find_link (const NetmondLinkModel *model, int ifindex)
{
  for (guint i = 0; i < model->links->len; i++) {
    Link *link = model->links->pdata[i];

    if (link->public.ifindex == ifindex)
      return link;
  }
  return NULL;
}

static Link *
model_add_link (NetmondLinkModel *model, int ifindex)
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
model_add_route (NetmondLinkModel *model, const DefaultRoute *route)
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
model_remove_routes (NetmondLinkModel *model, RouteMatchFunc match, const DefaultRoute *key)
{
  for (guint i = model->routes->len; i > 0; i--)
    if (match (&g_array_index (model->routes, DefaultRoute, i - 1), key))
      g_array_remove_index (model->routes, i - 1);
}

/* The kernel flushes a link's IPv4 routes when the link goes down or loses its
 * last IPv4 address, and says nothing about it (IPv6 sends RTM_DELROUTE). */
static void
model_forget_ipv4_routes (NetmondLinkModel *model, int ifindex)
{
  DefaultRoute key = { .family = AF_INET, .ifindex = ifindex };

  model_remove_routes (model, route_goes_through, &key);
}

/* IPv4 before IPv6, then the lowest metric. */
const NetmondLink *
netmond_link_model_get_default_route_link (const NetmondLinkModel *model)
{
  for (guint i = 0; i < model->routes->len; i++) {
    const Link *link = model_find_link (model, g_array_index (model->routes, DefaultRoute, i).ifindex);

    if (link != NULL && link->public.state == NETMOND_LINK_STATE_UP)
      return &link->public;
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
apply_link (NetmondLinkModel *model, const struct nlmsghdr *header)
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
apply_address (NetmondLinkModel *model, const struct nlmsghdr *header)
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
apply_route (NetmondLinkModel *model, const struct nlmsghdr *header)
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

void
netmond_link_model_apply_message (NetmondLinkModel *model, const struct nlmsghdr *header)
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

gboolean
netmond_link_model_log_changes (const NetmondLinkModel *before, const NetmondLinkModel *after)
{
  const NetmondLink *old_default = netmond_link_model_get_default_route_link (before);
  const NetmondLink *new_default = netmond_link_model_get_default_route_link (after);
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
      || (old_default != NULL && !g_str_equal (old_default->name, new_default->name)))
    g_message ("default route: %s -> %s", old_default != NULL ? old_default->name : "none",
               new_default != NULL ? new_default->name : "none");
  return changed;
}

GPtrArray *
netmond_link_model_get_links (const NetmondLinkModel *model)
{
  return model->links;
}

gboolean
netmond_link_model_has_usable_link (const NetmondLinkModel *model)
{
  for (guint i = 0; i < model->links->len; i++) {
    const Link *link = model->links->pdata[i];

    if (link->loopback || link->public.state != NETMOND_LINK_STATE_UP)
      continue;
    for (guint j = 0; j < link->public.addresses->len; j++)
      if (!address_is_link_local (link->public.addresses->pdata[j]))
        return TRUE;
  }
  return FALSE;
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
