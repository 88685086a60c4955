/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipp (Debian sip-tester) as a scripted far end: one call of a scenario of
 * tests/e2e/sipp/ (-m 1), in its own session, stopped by its PID. It sends
 * from, and listens on, one loopback address of the test's block; what it
 * sent and received is in the message trace of its temporary directory.
 * Messages that arrive during a <pause> of the scenario are dropped
 * (-pause_msg_ign): that is how uas-lost-ack.xml loses an ACK. */
#pragma once

#include <glib.h>

#include "kl-test-kamailio.h"

G_BEGIN_DECLS

typedef struct {
  char *dir; /* messages.log (-trace_msg), screen.log (its output) */
  int pid;   /* 0 once it has ended */
  int status;
} KlTestSipp;

/* SCENARIO: a file name of tests/e2e/sipp/ without ".xml", e.g. "uas-busy";
 * PORT 0: any; TRANSPORT: "udp" or "tcp" (this sipp has no TLS); REMOTE:
 * "host:port" the calls go to, or NULL for a UAS; OPTIONS: more arguments of
 * sipp, NULL-terminated, or NULL. */
KlTestSipp *kl_test_sipp_start (const char *scenario,
                                const char *addr,
                                guint port,
                                const char *transport,
                                const char *remote,
                                const char *const *options);
/* A UAC scenario calling sip:USER@<its domain> through SERVER, as the user
 * "tester", whom the test Kamailio does not challenge. */
KlTestSipp *kl_test_sipp_start_uac (const char *scenario,
                                    const char *addr,
                                    KlTestKamailio *server,
                                    const char *user,
                                    const char *transport,
                                    const char *const *options);
/* Its exit status once it has ended (0: the scenario passed), -1 if it is
 * still running after TIMEOUT_MS or was killed. */
int kl_test_sipp_wait (KlTestSipp *self, guint timeout_ms);
/* The INVITEs it received, retransmissions included; their distinct Call-IDs
 * are added to RET_CALL_IDS (strings, freed by the array) if not NULL. */
guint kl_test_sipp_count_invites (KlTestSipp *self, GPtrArray *ret_call_ids);
/* The first request of METHOD it received, from its request line, or NULL. */
char *kl_test_sipp_first_received (KlTestSipp *self, const char *method);
void kl_test_sipp_stop (KlTestSipp *self);
void kl_test_sipp_free (KlTestSipp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestSipp, kl_test_sipp_free)

G_END_DECLS
