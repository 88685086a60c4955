/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Two network namespaces of the test's own, "phone" and "server", joined by a
 * veth pair: the phone's end is KL_TEST_NETNS_PHONE_IF with
 * KL_TEST_NETNS_PHONE_ADDR/24, the server's has KL_TEST_NETNS_SERVER_ADDR/24,
 * and the phone has a default route through the server. The namespaces are
 * named after the test's address block (kl-test-phone-N, kl-test-server-N),
 * so that tests on other blocks can make theirs at the same time; the links
 * and addresses live inside them. Namespaces left by a test that crashed are
 * removed at the next start. Needs root. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KL_TEST_NETNS_PHONE_IF "kl-phone0"
#define KL_TEST_NETNS_PHONE_ADDR "10.201.0.2"
#define KL_TEST_NETNS_SERVER_ADDR "10.201.0.1"

gboolean kl_test_netns_available (void);
const char *kl_test_netns_phone (void);
const char *kl_test_netns_server (void);
void kl_test_netns_create (void);
void kl_test_netns_remove (void);

/* ip link set KL_TEST_NETNS_PHONE_IF up|down in the phone's namespace; up also
 * puts back the default route, which the kernel drops with the link, as a
 * DHCP client would. */
void kl_test_netns_set_phone_link (gboolean up);
/* Replaces the phone's address (address/prefix). */
void kl_test_netns_set_phone_address (const char *old_cidr, const char *new_cidr);

G_END_DECLS
