/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scripted SIP servers for the unit tests of the line: a registrar, presence
 * server and edge proxy in one, at loopback addresses of its own (port 5060,
 * TCP and UDP), answering REGISTER, SUBSCRIBE (with a NOTIFY), INVITE (as the
 * far end of every call), CRLF pings and STUN. All servers share one table of bindings and one of subscriptions,
 * keyed by the registrar or notifier a request names, as if an edge proxy
 * passed it on: so a test asks where the line is registered and subscribed
 * the way the end-to-end tests ask Kamailio.
 *
 * A server fails as a real one does, seen from the phone: it resets its
 * connections, or closes them (a crash), or goes silent (hung: connections
 * are still accepted by the kernel, nothing is read or answered; a black hole
 * is the same here, since loopback cannot drop packets), or answers REGISTER
 * with a chosen status. Everything runs on the test's main context; time is
 * the fake clock's, advanced by test_world_run(). */
#pragma once

#include "kl-clock.h"
#include "kl-transport.h"
#include "sipd-message.h"

G_BEGIN_DECLS

typedef struct _TestWorld TestWorld;
typedef struct _TestServer TestServer;

typedef enum {
  TEST_FAULT_NONE,
  TEST_FAULT_RESET,      /* connections reset, new ones refused */
  TEST_FAULT_FIN,        /* connections closed, new ones refused */
  TEST_FAULT_HUNG,       /* nothing read or answered */
  TEST_FAULT_BLACK_HOLE, /* the same as hung on loopback */
} TestFault;

TestWorld *test_world_new (KlClock *clock);
void test_world_free (TestWorld *world);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestWorld, test_world_free)

TestServer *test_world_add_server (TestWorld *world, const char *address);
/* The server is a node of the cluster NAME (the SRV target of a name): a
 * request naming NAME is for the node it reaches, which keeps its own
 * bindings, as separate Kamailio nodes do. */
void test_server_set_cluster (TestServer *server, const char *name);
void test_server_fail (TestServer *server, TestFault fault);
void test_server_recover (TestServer *server);
void test_server_close_connections (TestServer *server);
/* Every REGISTER for this registrar is answered with status (0: normally). */
void test_server_set_register_reply (TestServer *server, guint status);
void test_server_set_register_reply_once (TestServer *server, guint status);
/* Whether this registrar supports outbound (RFC 5626): Require and Flow-Timer in its 2xx. */
void test_server_set_outbound (TestServer *server, gboolean outbound);
/* RFC 6223: keep=N in the top Via of the 200 to a REGISTER that offered
 * keep (0: the bare keep echoed, no keep-alives wanted); answered: whether
 * CRLF pings and STUN Binding requests are answered (they are counted). */
void test_server_set_keepalives (TestServer *server, guint keep_s, gboolean answered);
/* What the phone answers to requests a test sends it. */
typedef void (*TestResponseFunc) (SipdMessage *response, gpointer user_data);
void test_server_set_response_hook (TestServer *server, TestResponseFunc func, gpointer user_data);
/* every request the server receives from the phone, before it answers */
void test_server_set_request_hook (TestServer *server, TestResponseFunc func, gpointer user_data);
/* the registrar gives this Service-Route (RFC 3608) in its 200s */
void test_server_set_service_route (TestServer *server, const char *route);
/* Sends a request to the phone over the TCP connection that user's binding
 * came over directly (no edge proxy); FALSE when there is none. */
gboolean test_server_send_to_phone (TestServer *server, const char *user, GBytes *message);
/* Every INVITE is answered 100 and then with status (0: 200 OK with SDP). */
void test_server_set_invite_reply (TestServer *server, guint status);

typedef enum {
  TEST_INVITE_ANSWERED,      /* one 200 */
  TEST_INVITE_FORKED,        /* two 200s with different To tags, as two forks of a proxy */
  TEST_INVITE_TWO_CHALLENGES, /* 407 until Proxy-Authorization, then 401 until Authorization, then 200 */
} TestInviteAnswer;
void test_server_set_invite_answer (TestServer *server, TestInviteAnswer answer);
/* Requests by method; TEST_PING counts CRLF pings and STUN Binding requests. */
#define TEST_PING "ping"
guint test_server_count_requests (TestServer *server, const char *method);

/* Bindings of user at the registrar; through: the edge proxy each came
 * through, or NULL for any. */
guint test_world_count_bindings (TestWorld *world, const char *registrar, const char *user, const char *through);
guint test_world_count_subscriptions (TestWorld *world, const char *notifier, const char *through);
char *test_world_describe (TestWorld *world);

/* Runs the main context and the fake clock in steps of step_ms until
 * condition holds (TRUE) or limit_ms of fake time passed (FALSE). */
gboolean test_world_run (TestWorld *world, gboolean (*condition) (gpointer), gpointer data, gint64 limit_ms);
/* Runs it for ms of fake time. */
void test_world_wait (TestWorld *world, gint64 ms);

G_END_DECLS
