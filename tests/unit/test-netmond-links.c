/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rtnetlink model: crafted messages fed to a detached model, then the
 * kernel's own view of loopback. */
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "kl-test-bus.h"
#include "netmond-links.h"

typedef struct {
  NetmondLinks *links;
  guint changes;
} Fixture;

static void
on_changed (NetmondLinks *links, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->changes++;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->links = netmond_links_new_detached (on_changed, fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->links, netmond_links_free);
}

static void
pad (GByteArray *buffer)
{
  static const guint8 zeros[NLMSG_ALIGNTO] = { 0 };

  g_byte_array_append (buffer, zeros, NLMSG_ALIGN (buffer->len) - buffer->len);
}

static void
set_message_length (GByteArray *buffer, gsize message, guint32 length)
{
  memcpy (buffer->data + message + G_STRUCT_OFFSET (struct nlmsghdr, nlmsg_len), &length, sizeof length);
}

/* Appends a message of a header and a body; returns where it starts, for its attributes. */
static gsize
add_message (GByteArray *buffer, guint16 type, guint16 flags, gconstpointer body, gsize body_length)
{
  struct nlmsghdr header = { .nlmsg_type = type, .nlmsg_flags = flags };
  gsize message = buffer->len;

  g_byte_array_append (buffer, (const guint8 *) &header, sizeof header);
  g_byte_array_append (buffer, body, (guint) body_length);
  pad (buffer);
  set_message_length (buffer, message, buffer->len - message);
  return message;
}

static void
add_attribute (GByteArray *buffer, gsize message, guint16 type, gconstpointer data, gsize length)
{
  struct rtattr attribute = { .rta_len = (unsigned short) RTA_LENGTH (length), .rta_type = type };

  g_byte_array_append (buffer, (const guint8 *) &attribute, sizeof attribute);
  g_byte_array_append (buffer, data, (guint) length);
  pad (buffer);
  set_message_length (buffer, message, buffer->len - message);
}

static void
add_u32 (GByteArray *buffer, gsize message, guint16 type, guint32 value)
{
  add_attribute (buffer, message, type, &value, sizeof value);
}

static gsize
add_link (GByteArray *buffer, guint16 type, int ifindex, const char *name, unsigned int flags)
{
  struct ifinfomsg info = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags };
  gsize message = add_message (buffer, type, 0, &info, sizeof info);

  if (name != NULL)
    add_attribute (buffer, message, IFLA_IFNAME, name, strlen (name) + 1);
  return message;
}

/* IPv4 with IFA_LOCAL and IFA_ADDRESS, IPv6 with IFA_ADDRESS only, as the kernel sends them. */
static gsize
add_address (GByteArray *buffer, guint16 type, int ifindex, const char *address, guint8 prefix, guint8 flags)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  gboolean ipv4 = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4;
  struct ifaddrmsg info = {
    .ifa_family = ipv4 ? AF_INET : AF_INET6,
    .ifa_prefixlen = prefix,
    .ifa_flags = flags,
    .ifa_index = (guint32) ifindex,
  };
  gsize message = add_message (buffer, type, 0, &info, sizeof info);

  if (ipv4)
    add_attribute (buffer, message, IFA_LOCAL, g_inet_address_to_bytes (inet), 4);
  add_attribute (buffer, message, IFA_ADDRESS, g_inet_address_to_bytes (inet), ipv4 ? 4 : 16);
  return message;
}

/* A default route of the main table, with rtm_table and RTA_TABLE both set as the kernel does. */
static gsize
add_route (GByteArray *buffer, guint16 type, guint16 flags, int family, guint32 table, guint8 dst_length)
{
  struct rtmsg info = {
    .rtm_family = (guint8) family,
    .rtm_dst_len = dst_length,
    .rtm_table = table < 256 ? (guint8) table : RT_TABLE_COMPAT,
    .rtm_protocol = RTPROT_BOOT,
    .rtm_scope = RT_SCOPE_UNIVERSE,
    .rtm_type = RTN_UNICAST,
  };
  gsize message = add_message (buffer, type, flags, &info, sizeof info);

  add_u32 (buffer, message, RTA_TABLE, table);
  return message;
}

static gsize
add_default_route (GByteArray *buffer, guint16 type, int family, int ifindex, guint32 metric)
{
  gsize message = add_route (buffer, type, 0, family, RT_TABLE_MAIN, 0);

  add_u32 (buffer, message, RTA_PRIORITY, metric);
  add_u32 (buffer, message, RTA_OIF, (guint32) ifindex);
  return message;
}

static void
feed (Fixture *fixture, GByteArray *buffer)
{
  netmond_links_feed (fixture->links, buffer->data, buffer->len);
}

static void
feed_link (Fixture *fixture, guint16 type, int ifindex, const char *name, unsigned int flags)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  add_link (buffer, type, ifindex, name, flags);
  feed (fixture, buffer);
}

static void
feed_address (Fixture *fixture, guint16 type, int ifindex, const char *address, guint8 prefix)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  add_address (buffer, type, ifindex, address, prefix, 0);
  feed (fixture, buffer);
}

static void
feed_default_route (Fixture *fixture, guint16 type, int family, int ifindex, guint32 metric)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  add_default_route (buffer, type, family, ifindex, metric);
  feed (fixture, buffer);
}

#define FLAGS_UP (IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP)
#define FLAGS_NO_CARRIER (IFF_UP | IFF_BROADCAST | IFF_MULTICAST)
#define FLAGS_DOWN (IFF_BROADCAST | IFF_MULTICAST)

/* eth0 (2) up with 192.0.2.2/24, one change so far */
static void
feed_eth0_up_with_address (Fixture *fixture)
{
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  feed_address (fixture, RTM_NEWADDR, 2, "192.0.2.2", 24);
}

static void
assert_addresses (Fixture *fixture, const char *name, ...)
{
  const NetmondLink *link = netmond_links_lookup (fixture->links, name);
  const char *expected;
  guint i = 0;
  va_list args;

  g_assert_nonnull (link);
  va_start (args, name);
  while ((expected = va_arg (args, const char *)) != NULL) {
    g_assert_cmpuint (i, <, link->addresses->len);
    g_assert_cmpstr (link->addresses->pdata[i], ==, expected);
    i++;
  }
  va_end (args);
  g_assert_cmpuint (link->addresses->len, ==, i);
}

static void
assert_state (Fixture *fixture, const char *name, NetmondLinkState state)
{
  const NetmondLink *link = netmond_links_lookup (fixture->links, name);

  g_assert_nonnull (link);
  g_assert_cmpstr (netmond_link_state_to_string (link->state), ==, netmond_link_state_to_string (state));
}

static void
test_a_new_link_up_with_carrier_is_up (Fixture *fixture, gconstpointer data)
{
  const NetmondLink *link;

  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  g_assert_cmpuint (fixture->changes, ==, 1);
  link = netmond_links_lookup (fixture->links, "eth0");
  g_assert_nonnull (link);
  g_assert_cmpint (link->ifindex, ==, 2);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_UP);
  assert_addresses (fixture, "eth0", NULL);
  g_assert_null (netmond_links_lookup (fixture->links, "eth1"));
  /* up, but without an address it is of no use yet */
  g_assert_false (netmond_links_has_usable_link (fixture->links));
}

static void
test_a_link_without_iff_up_is_down (Fixture *fixture, gconstpointer data)
{
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_DOWN);
  g_assert_cmpuint (fixture->changes, ==, 2);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_DOWN);
}

static void
test_a_link_up_without_lower_up_has_no_carrier (Fixture *fixture, gconstpointer data)
{
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_NO_CARRIER);
  /* carrier comes before the operational state: IFF_LOWER_UP without IFF_RUNNING is enough */
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER | IFF_LOWER_UP);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_UP);
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER);
  g_assert_cmpuint (fixture->changes, ==, 3);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_NO_CARRIER);
}

static void
test_addresses_come_and_go_ipv4_listed_first (Fixture *fixture, gconstpointer data)
{
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  feed_address (fixture, RTM_NEWADDR, 2, "fe80::fc:ff:fe00:1", 64);
  feed_address (fixture, RTM_NEWADDR, 2, "2001:db8::2", 64);
  feed_address (fixture, RTM_NEWADDR, 2, "192.0.2.2", 24);
  feed_address (fixture, RTM_NEWADDR, 2, "198.51.100.7", 32);
  g_assert_cmpuint (fixture->changes, ==, 5);
  assert_addresses (fixture, "eth0", "192.0.2.2/24", "198.51.100.7/32", "fe80::fc:ff:fe00:1/64", "2001:db8::2/64",
                    NULL);
  g_assert_true (netmond_links_has_usable_link (fixture->links));

  feed_address (fixture, RTM_DELADDR, 2, "192.0.2.2", 24);
  feed_address (fixture, RTM_DELADDR, 2, "2001:db8::2", 64);
  g_assert_cmpuint (fixture->changes, ==, 7);
  assert_addresses (fixture, "eth0", "198.51.100.7/32", "fe80::fc:ff:fe00:1/64", NULL);

  /* the same address, another prefix, is another address */
  feed_address (fixture, RTM_DELADDR, 2, "198.51.100.7", 24);
  g_assert_cmpuint (fixture->changes, ==, 7);
  feed_address (fixture, RTM_DELADDR, 2, "198.51.100.7", 32);
  assert_addresses (fixture, "eth0", "fe80::fc:ff:fe00:1/64", NULL);
  g_assert_false (netmond_links_has_usable_link (fixture->links));
}

static void
test_a_tentative_ipv6_address_is_listed_once_dad_completes (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) tentative = g_byte_array_new ();
  g_autoptr (GByteArray) completed = g_byte_array_new ();
  g_autoptr (GByteArray) with_flags = g_byte_array_new ();
  gsize message;

  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  add_address (tentative, RTM_NEWADDR, 2, "2001:db8::2", 64, IFA_F_TENTATIVE);
  feed (fixture, tentative);
  g_assert_cmpuint (fixture->changes, ==, 1);
  assert_addresses (fixture, "eth0", NULL);

  add_address (completed, RTM_NEWADDR, 2, "2001:db8::2", 64, 0);
  feed (fixture, completed);
  g_assert_cmpuint (fixture->changes, ==, 2);
  assert_addresses (fixture, "eth0", "2001:db8::2/64", NULL);

  /* IFA_FLAGS, when present, is what counts: here it says tentative again (DAD restarts) */
  message = add_address (with_flags, RTM_NEWADDR, 2, "2001:db8::2", 64, 0);
  add_u32 (with_flags, message, IFA_FLAGS, IFA_F_TENTATIVE | IFA_F_NOPREFIXROUTE);
  feed (fixture, with_flags);
  g_assert_cmpuint (fixture->changes, ==, 3);
  assert_addresses (fixture, "eth0", NULL);
}

static void
test_a_default_route_is_one_through_a_link_that_is_up (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  g_assert_null (netmond_links_get_default_route_link (fixture->links));

  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  g_assert_cmpuint (fixture->changes, ==, 3);
  g_assert_true (netmond_links_has_default_route (fixture->links));
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "eth0");

  /* without carrier the kernel keeps the route (linkdown); it counts again with the carrier */
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  g_assert_null (netmond_links_get_default_route_link (fixture->links));
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  g_assert_true (netmond_links_has_default_route (fixture->links));

  feed_default_route (fixture, RTM_DELROUTE, AF_INET, 2, 0);
  g_assert_cmpuint (fixture->changes, ==, 6);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

/* The kernel flushes them without an RTM_DELROUTE; an IPv6 one is deleted with one. */
static void
test_an_ipv4_default_route_is_gone_once_its_link_goes_down (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET6, 2, 1024);
  g_assert_true (netmond_links_has_default_route (fixture->links));

  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_DOWN);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  /* the IPv6 route has not been deleted in this script, so it is still there */
  g_assert_true (netmond_links_has_default_route (fixture->links));
  feed_default_route (fixture, RTM_DELROUTE, AF_INET6, 2, 1024);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

static void
test_an_ipv4_default_route_is_gone_with_the_last_ipv4_address (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  feed_address (fixture, RTM_NEWADDR, 2, "198.51.100.7", 24);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);

  feed_address (fixture, RTM_DELADDR, 2, "198.51.100.7", 24);
  g_assert_true (netmond_links_has_default_route (fixture->links));
  feed_address (fixture, RTM_DELADDR, 2, "192.0.2.2", 24);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  feed_address (fixture, RTM_NEWADDR, 2, "192.0.2.2", 24);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

static void
test_routes_other_than_a_main_unicast_default_are_ignored (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct rtmsg blackhole = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_type = RTN_BLACKHOLE };
  struct rtmsg legacy = { .rtm_family = AF_INET6, .rtm_table = 100, .rtm_type = RTN_UNICAST };
  gsize message;

  feed_eth0_up_with_address (fixture);
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, 100, 0);
  add_u32 (buffer, message, RTA_OIF, 2);
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, 1000, 0);
  add_u32 (buffer, message, RTA_OIF, 2);
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, RT_TABLE_LOCAL, 0);
  add_u32 (buffer, message, RTA_OIF, 2);
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, RT_TABLE_MAIN, 24);
  add_u32 (buffer, message, RTA_OIF, 2);
  message = add_message (buffer, RTM_NEWROUTE, 0, &blackhole, sizeof blackhole);
  add_u32 (buffer, message, RTA_OIF, 2);
  /* without RTA_TABLE, rtm_table counts */
  message = add_message (buffer, RTM_NEWROUTE, 0, &legacy, sizeof legacy);
  add_u32 (buffer, message, RTA_OIF, 2);
  /* a nexthop object instead of an interface */
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, RT_TABLE_MAIN, 0);
  add_u32 (buffer, message, RTA_NH_ID, 7);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 2);
  g_assert_false (netmond_links_has_default_route (fixture->links));

  legacy.rtm_table = RT_TABLE_MAIN;
  g_byte_array_set_size (buffer, 0);
  message = add_message (buffer, RTM_NEWROUTE, 0, &legacy, sizeof legacy);
  add_u32 (buffer, message, RTA_OIF, 2);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 3);
  g_assert_true (netmond_links_has_default_route (fixture->links));
}

static void
test_a_multipath_default_route_goes_through_its_first_nexthop (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct rtnexthop nexthops[2] = {
    { .rtnh_len = sizeof (struct rtnexthop), .rtnh_ifindex = 3 },
    { .rtnh_len = sizeof (struct rtnexthop), .rtnh_ifindex = 2 },
  };
  gsize message;

  feed_eth0_up_with_address (fixture);
  feed_link (fixture, RTM_NEWLINK, 3, "wlan0", FLAGS_UP);
  message = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, RT_TABLE_MAIN, 0);
  add_attribute (buffer, message, RTA_MULTIPATH, nexthops, sizeof nexthops);
  feed (fixture, buffer);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "wlan0");
}

static void
test_the_default_route_link_prefers_ipv4_then_the_lowest_metric (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  feed_link (fixture, RTM_NEWLINK, 3, "wlan0", FLAGS_UP);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET6, 2, 100);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "eth0");
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 3, 600);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "wlan0");
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 100);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "eth0");
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "wlan0");
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  /* one of two routes is deleted: the other stays */
  feed_default_route (fixture, RTM_DELROUTE, AF_INET, 2, 100);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "wlan0");
}

static void
test_a_replaced_default_route_moves_to_its_new_link (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  gsize message;

  feed_eth0_up_with_address (fixture);
  feed_link (fixture, RTM_NEWLINK, 3, "wlan0", FLAGS_UP);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  /* `ip route replace default dev wlan0`: one RTM_NEWROUTE with NLM_F_REPLACE, no RTM_DELROUTE */
  message = add_route (buffer, RTM_NEWROUTE, NLM_F_REPLACE, AF_INET, RT_TABLE_MAIN, 0);
  add_u32 (buffer, message, RTA_OIF, 3);
  feed (fixture, buffer);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "wlan0");
  feed_link (fixture, RTM_NEWLINK, 3, "wlan0", FLAGS_NO_CARRIER);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

static void
test_dellink_removes_the_link_its_addresses_and_routes (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  feed_address (fixture, RTM_NEWADDR, 2, "2001:db8::2", 64);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET6, 2, 1024);
  g_assert_true (netmond_links_has_usable_link (fixture->links));

  feed_link (fixture, RTM_DELLINK, 2, "eth0", FLAGS_DOWN);
  g_assert_cmpuint (fixture->changes, ==, 6);
  g_assert_null (netmond_links_lookup (fixture->links, "eth0"));
  g_assert_cmpuint (netmond_links_get_links (fixture->links)->len, ==, 0);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  g_assert_false (netmond_links_has_usable_link (fixture->links));

  /* a new link with the same index starts afresh */
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  assert_addresses (fixture, "eth0", NULL);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

static void
test_a_bridge_port_leaving_its_bridge_stays_a_link (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct ifinfomsg port = { .ifi_family = AF_BRIDGE, .ifi_index = 2, .ifi_flags = FLAGS_UP };
  gsize message = add_message (buffer, RTM_DELLINK, 0, &port, sizeof port);

  add_attribute (buffer, message, IFLA_IFNAME, "eth0", 5);
  feed_eth0_up_with_address (fixture);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 2);
  assert_addresses (fixture, "eth0", "192.0.2.2/24", NULL);
}

static void
test_a_renamed_link_keeps_its_addresses (Fixture *fixture, gconstpointer data)
{
  feed_eth0_up_with_address (fixture);
  feed_link (fixture, RTM_NEWLINK, 2, "lan0", FLAGS_UP);
  g_assert_cmpuint (fixture->changes, ==, 3);
  g_assert_null (netmond_links_lookup (fixture->links, "eth0"));
  assert_addresses (fixture, "lan0", "192.0.2.2/24", NULL);
}

static void
test_links_are_sorted_by_ifindex (Fixture *fixture, gconstpointer data)
{
  GPtrArray *links;

  feed_link (fixture, RTM_NEWLINK, 7, "wlan0", FLAGS_UP);
  feed_link (fixture, RTM_NEWLINK, 1, "lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
  feed_link (fixture, RTM_NEWLINK, 3, "eth0", FLAGS_UP);
  links = netmond_links_get_links (fixture->links);
  g_assert_cmpuint (links->len, ==, 3);
  g_assert_cmpint (((NetmondLink *) links->pdata[0])->ifindex, ==, 1);
  g_assert_cmpint (((NetmondLink *) links->pdata[1])->ifindex, ==, 3);
  g_assert_cmpint (((NetmondLink *) links->pdata[2])->ifindex, ==, 7);
}

static void
test_a_usable_link_is_up_with_an_address_that_is_not_link_local (Fixture *fixture, gconstpointer data)
{
  feed_link (fixture, RTM_NEWLINK, 1, "lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
  feed_address (fixture, RTM_NEWADDR, 1, "127.0.0.1", 8);
  g_assert_false (netmond_links_has_usable_link (fixture->links));

  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  feed_address (fixture, RTM_NEWADDR, 2, "169.254.7.8", 16);
  feed_address (fixture, RTM_NEWADDR, 2, "fe80::1", 64);
  g_assert_false (netmond_links_has_usable_link (fixture->links));
  feed_address (fixture, RTM_NEWADDR, 2, "2001:db8::2", 64);
  g_assert_true (netmond_links_has_usable_link (fixture->links));
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_NO_CARRIER);
  g_assert_false (netmond_links_has_usable_link (fixture->links));
}

static void
test_several_messages_in_one_buffer_give_one_change (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH (sizeof (int)), .nlmsg_type = NLMSG_DONE };
  int status = 0;

  add_link (buffer, RTM_NEWLINK, 1, "lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
  add_link (buffer, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  add_address (buffer, RTM_NEWADDR, 1, "127.0.0.1", 8, 0);
  add_address (buffer, RTM_NEWADDR, 2, "192.0.2.2", 24, 0);
  add_address (buffer, RTM_NEWADDR, 2, "fd00::2", 64, 0);
  add_default_route (buffer, RTM_NEWROUTE, AF_INET, 2, 0);
  /* ignored: a DONE that ends no dump of ours, and a neighbour */
  g_byte_array_append (buffer, (const guint8 *) &done, sizeof done);
  g_byte_array_append (buffer, (const guint8 *) &status, sizeof status);
  add_message (buffer, RTM_NEWNEIGH, 0, &status, sizeof status);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 1);
  g_assert_cmpuint (netmond_links_get_links (fixture->links)->len, ==, 2);
  assert_addresses (fixture, "eth0", "192.0.2.2/24", "fd00::2/64", NULL);
  g_assert_true (netmond_links_has_default_route (fixture->links));

  /* a link that comes and goes within one buffer is no change */
  g_byte_array_set_size (buffer, 0);
  add_link (buffer, RTM_NEWLINK, 3, "usb0", FLAGS_UP);
  add_link (buffer, RTM_DELLINK, 3, "usb0", FLAGS_DOWN);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 1);
}

static void
test_the_same_newlink_twice_is_one_change (Fixture *fixture, gconstpointer data)
{
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP);
  /* flags that do not change the state are no change either */
  feed_link (fixture, RTM_NEWLINK, 2, "eth0", FLAGS_UP | IFF_PROMISC);
  feed_address (fixture, RTM_NEWADDR, 2, "192.0.2.2", 24);
  feed_address (fixture, RTM_NEWADDR, 2, "192.0.2.2", 24);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  feed_default_route (fixture, RTM_NEWROUTE, AF_INET, 2, 0);
  /* deleting what is not there */
  feed_address (fixture, RTM_DELADDR, 2, "192.0.2.9", 24);
  feed_default_route (fixture, RTM_DELROUTE, AF_INET, 2, 5);
  feed_link (fixture, RTM_DELLINK, 9, "eth9", FLAGS_DOWN);
  g_assert_cmpuint (fixture->changes, ==, 3);
}

/* Feeds a buffer that must change nothing, after eth0 up with an address. */
static void
assert_skipped (Fixture *fixture, GByteArray *buffer)
{
  feed_eth0_up_with_address (fixture);
  feed (fixture, buffer);
  g_assert_cmpuint (fixture->changes, ==, 2);
  g_assert_cmpuint (netmond_links_get_links (fixture->links)->len, ==, 1);
  assert_state (fixture, "eth0", NETMOND_LINK_STATE_UP);
  assert_addresses (fixture, "eth0", "192.0.2.2/24", NULL);
  g_assert_false (netmond_links_has_default_route (fixture->links));
}

static void
test_a_message_longer_than_its_buffer_is_skipped (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  gsize message = add_link (buffer, RTM_NEWLINK, 2, "eth0", FLAGS_DOWN);

  set_message_length (buffer, message, buffer->len + 64);
  assert_skipped (fixture, buffer);
}

static void
test_an_attribute_longer_than_its_message_is_skipped (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  gsize first = add_link (buffer, RTM_NEWLINK, 2, "eth0", FLAGS_DOWN);
  gsize second = add_address (buffer, RTM_DELADDR, 2, "192.0.2.2", 24, 0);
  gsize third;
  unsigned short too_long = 200;

  /* the IFLA_IFNAME of the link, and the IFA_ADDRESS of the address, claim 200 bytes */
  memcpy (buffer->data + first + NLMSG_SPACE (sizeof (struct ifinfomsg)), &too_long, sizeof too_long);
  memcpy (buffer->data + second + NLMSG_SPACE (sizeof (struct ifaddrmsg)) + RTA_SPACE (4), &too_long,
          sizeof too_long);
  /* a route whose RTA_OIF is cut to two bytes */
  third = add_route (buffer, RTM_NEWROUTE, 0, AF_INET, RT_TABLE_MAIN, 0);
  add_attribute (buffer, third, RTA_OIF, "\x02\x00", 2);
  assert_skipped (fixture, buffer);
}

/* A message alone in its buffer, its length not rounded up. */
static void
feed_alone (Fixture *fixture, guint16 type, gconstpointer body, gsize body_length)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  add_message (buffer, type, 0, body, body_length);
  set_message_length (buffer, 0, (guint32) (NLMSG_HDRLEN + body_length));
  g_byte_array_set_size (buffer, NLMSG_HDRLEN + (guint) body_length);
  feed (fixture, buffer);
}

static void
test_a_truncated_ifaddrmsg_is_skipped (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct ifaddrmsg info = { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 2 };
  struct ifinfomsg link = { .ifi_index = 2 };
  struct rtmsg route = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_type = RTN_UNICAST };

  add_message (buffer, RTM_DELADDR, 0, &info, 4);
  add_message (buffer, RTM_DELLINK, 0, &link, 12);
  add_message (buffer, RTM_NEWROUTE, 0, &route, 8);
  /* whole, but with an IPv4 address of 16 bytes, and a prefix longer than 32 */
  add_attribute (buffer, add_message (buffer, RTM_DELADDR, 0, &info, sizeof info), IFA_ADDRESS, "0123456789abcdef",
                 16);
  info.ifa_prefixlen = 33;
  add_attribute (buffer, add_message (buffer, RTM_DELADDR, 0, &info, sizeof info), IFA_ADDRESS, "\xc0\x00\x02\x02", 4);
  /* a header cut short at the end of the buffer */
  g_byte_array_append (buffer, (const guint8 *) "\x20\x00\x00\x00\x10\x00", 6);
  assert_skipped (fixture, buffer);

  /* each alone, so that a read past its end is past the end of the buffer (ASan) */
  feed_alone (fixture, RTM_NEWADDR, &info, 4);
  feed_alone (fixture, RTM_NEWLINK, &link, 12);
  feed_alone (fixture, RTM_NEWROUTE, &route, 8);
  feed_alone (fixture, RTM_NEWADDR, &info, 0);
  feed_alone (fixture, RTM_NEWLINK, &link, 0);
  feed_alone (fixture, RTM_NEWROUTE, &route, 0);
  g_assert_cmpuint (fixture->changes, ==, 2);
}

static void
test_garbage_changes_nothing (Fixture *fixture, gconstpointer data)
{
  static const guint8 zeros[64] = { 0 };
  guint8 noise[512];
  GRand *rand = g_rand_new_with_seed (5060);

  netmond_links_feed (fixture->links, NULL, 0);
  netmond_links_feed (fixture->links, zeros, sizeof zeros);
  for (guint round = 0; round < 200; round++) {
    for (gsize i = 0; i < sizeof noise; i++)
      noise[i] = (guint8) g_rand_int_range (rand, 0, 256);
    netmond_links_feed (fixture->links, noise + 1, sizeof noise - 1);
  }
  g_rand_free (rand);
  g_assert_cmpuint (fixture->changes, ==, 0);
}

static void
feed_file (Fixture *fixture, const char *name)
{
  g_autofree char *relative = g_build_filename ("tests/fuzz/corpus/netlink", name, NULL);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  g_file_get_contents (kl_test_source_path (relative), &data, &length, &error);
  g_assert_no_error (error);
  netmond_links_feed (fixture->links, (const guint8 *) data, length);
}

/* Captured in a namespace with lo, and a veth pair d1 (4) and d0 (5), d0 with
 * 10.0.0.2/24 and 2001:db8::2/64 and default routes via 10.0.0.1 and 2001:db8::1. */
static void
test_a_captured_kernel_dump_builds_the_model (Fixture *fixture, gconstpointer data)
{
  GPtrArray *links;

  feed_file (fixture, "dump-links-lo-d1.bin");
  feed_file (fixture, "dump-d0-addresses-routes.bin");
  g_assert_cmpuint (fixture->changes, ==, 2);
  links = netmond_links_get_links (fixture->links);
  g_assert_cmpuint (links->len, ==, 3);
  g_assert_cmpint (((NetmondLink *) links->pdata[2])->ifindex, ==, 5);
  assert_state (fixture, "lo", NETMOND_LINK_STATE_UP);
  assert_addresses (fixture, "lo", "127.0.0.1/8", "::1/128", NULL);
  assert_state (fixture, "d1", NETMOND_LINK_STATE_UP);
  assert_state (fixture, "d0", NETMOND_LINK_STATE_UP);
  assert_addresses (fixture, "d0", "10.0.0.2/24", "2001:db8::2/64", "fe80::90f7:9aff:fe9b:81f3/64", NULL);
  g_assert_cmpstr (netmond_links_get_default_route_link (fixture->links), ==, "d0");
  g_assert_true (netmond_links_has_usable_link (fixture->links));

  /* then the kernel's notifications as d0 went down: its IPv6 default route deleted, then the link */
  feed_file (fixture, "notify-delroute-ipv6-default.bin");
  g_assert_cmpuint (fixture->changes, ==, 3);
  g_assert_true (netmond_links_has_default_route (fixture->links));
  feed_file (fixture, "notify-newlink-down.bin");
  assert_state (fixture, "d0", NETMOND_LINK_STATE_DOWN);
  g_assert_false (netmond_links_has_default_route (fixture->links));
  /* `ip route replace` sent by another process, with its port and sequence number */
  feed_file (fixture, "notify-newroute-replace-from-ip.bin");
  g_assert_cmpuint (fixture->changes, ==, 5);
}

static void
test_the_kernel_shows_loopback_up_with_its_addresses (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NetmondLinks) links = NULL;
  g_autofree char *disable_ipv6 = NULL;
  Fixture fixture = { 0 };
  const NetmondLink *lo;
  GPtrArray *all;

  g_main_context_push_thread_default (context);
  links = netmond_links_new (on_changed, &fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (links);
  g_assert_cmpuint (fixture.changes, ==, 0);

  lo = netmond_links_lookup (links, "lo");
  g_assert_nonnull (lo);
  g_assert_cmpint (lo->state, ==, NETMOND_LINK_STATE_UP);
  g_assert_true (g_ptr_array_find_with_equal_func (lo->addresses, "127.0.0.1/8", g_str_equal, NULL));
  if (g_file_get_contents ("/proc/sys/net/ipv6/conf/lo/disable_ipv6", &disable_ipv6, NULL, NULL)
      && g_str_equal (g_strstrip (disable_ipv6), "0"))
    g_assert_true (g_ptr_array_find_with_equal_func (lo->addresses, "::1/128", g_str_equal, NULL));
  else
    g_test_message ("IPv6 is off on lo");

  all = netmond_links_get_links (links);
  for (guint i = 1; i < all->len; i++)
    g_assert_cmpint (((NetmondLink *) all->pdata[i - 1])->ifindex, <, ((NetmondLink *) all->pdata[i])->ifindex);
  for (guint i = 0; i < all->len; i++) {
    const NetmondLink *link = all->pdata[i];

    g_test_message ("%d %s %s, %u addresses", link->ifindex, link->name, netmond_link_state_to_string (link->state),
                    link->addresses->len);
  }
  g_test_message ("default route: %s", netmond_links_get_default_route_link (links));

  /* the socket is watched on the thread-default context; nothing is pending */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (fixture.changes, ==, 0);
  g_clear_pointer (&links, netmond_links_free);
  g_main_context_pop_thread_default (context);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, function) \
  g_test_add ("/netmond/links/" path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)
  ADD ("a-new-link-up-with-carrier-is-up", test_a_new_link_up_with_carrier_is_up);
  ADD ("a-link-without-iff-up-is-down", test_a_link_without_iff_up_is_down);
  ADD ("a-link-up-without-lower-up-has-no-carrier", test_a_link_up_without_lower_up_has_no_carrier);
  ADD ("addresses-come-and-go-ipv4-listed-first", test_addresses_come_and_go_ipv4_listed_first);
  ADD ("a-tentative-ipv6-address-is-listed-once-dad-completes",
       test_a_tentative_ipv6_address_is_listed_once_dad_completes);
  ADD ("a-default-route-is-one-through-a-link-that-is-up", test_a_default_route_is_one_through_a_link_that_is_up);
  ADD ("an-ipv4-default-route-is-gone-once-its-link-goes-down",
       test_an_ipv4_default_route_is_gone_once_its_link_goes_down);
  ADD ("an-ipv4-default-route-is-gone-with-the-last-ipv4-address",
       test_an_ipv4_default_route_is_gone_with_the_last_ipv4_address);
  ADD ("routes-other-than-a-main-unicast-default-are-ignored",
       test_routes_other_than_a_main_unicast_default_are_ignored);
  ADD ("a-multipath-default-route-goes-through-its-first-nexthop",
       test_a_multipath_default_route_goes_through_its_first_nexthop);
  ADD ("the-default-route-link-prefers-ipv4-then-the-lowest-metric",
       test_the_default_route_link_prefers_ipv4_then_the_lowest_metric);
  ADD ("a-replaced-default-route-moves-to-its-new-link", test_a_replaced_default_route_moves_to_its_new_link);
  ADD ("dellink-removes-the-link-its-addresses-and-routes", test_dellink_removes_the_link_its_addresses_and_routes);
  ADD ("a-bridge-port-leaving-its-bridge-stays-a-link", test_a_bridge_port_leaving_its_bridge_stays_a_link);
  ADD ("a-renamed-link-keeps-its-addresses", test_a_renamed_link_keeps_its_addresses);
  ADD ("links-are-sorted-by-ifindex", test_links_are_sorted_by_ifindex);
  ADD ("a-usable-link-is-up-with-an-address-that-is-not-link-local",
       test_a_usable_link_is_up_with_an_address_that_is_not_link_local);
  ADD ("several-messages-in-one-buffer-give-one-change", test_several_messages_in_one_buffer_give_one_change);
  ADD ("the-same-newlink-twice-is-one-change", test_the_same_newlink_twice_is_one_change);
  ADD ("a-message-longer-than-its-buffer-is-skipped", test_a_message_longer_than_its_buffer_is_skipped);
  ADD ("an-attribute-longer-than-its-message-is-skipped", test_an_attribute_longer_than_its_message_is_skipped);
  ADD ("a-truncated-ifaddrmsg-is-skipped", test_a_truncated_ifaddrmsg_is_skipped);
  ADD ("garbage-changes-nothing", test_garbage_changes_nothing);
  ADD ("a-captured-kernel-dump-builds-the-model", test_a_captured_kernel_dump_builds_the_model);
#undef ADD
  g_test_add_func ("/netmond/links/the-kernel-shows-loopback-up-with-its-addresses",
                   test_the_kernel_shows_loopback_up_with_its_addresses);
  return g_test_run ();
}
