/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real far-end phone for end-to-end tests: Debian's baresip, registered at
 * a test Kamailio as one of its users (1001…1009), listening on one loopback
 * address of the test's block (SIP on 5060, its ctrl_tcp control socket on
 * 4444, media on that address too). Its configuration is written into a
 * temporary directory; it runs in its own session with stdin from /dev/null,
 * a sine wave as microphone and no sound device, and is stopped by its PID.
 * The test drives it and hears its call events over ctrl_tcp; its SIP trace
 * (-s) is in baresip.log in that directory. */
#pragma once

#include <gio/gio.h>

#include "kl-test-kamailio.h"

G_BEGIN_DECLS

typedef struct {
  char *addr;
  char *user;
  char *dir;
  int pid;
  GSocketConnection *ctrl;
  GString *input;    /* bytes from ctrl_tcp not parsed yet */
  GPtrArray *events; /* every call event it reported, in order */
  guint commands;
} KlTestBaresip;

/* Returns once SERVER holds its binding. TRANSPORT: "udp", "tcp" or "tls"
 * (trusting the CA of SERVER's certificates); AUTO_ANSWER: it answers every
 * call at once, else it rings until kl_test_baresip_answer(). */
KlTestBaresip *kl_test_baresip_start (const char *addr,
                                      KlTestKamailio *server,
                                      const char *user,
                                      const char *transport,
                                      gboolean auto_answer);
void kl_test_baresip_dial (KlTestBaresip *self, const char *uri);
void kl_test_baresip_answer (KlTestBaresip *self);
void kl_test_baresip_hangup (KlTestBaresip *self);
/* Waits for the next call event of this type that no earlier wait took
 * ("CALL_INCOMING", "CALL_RINGING", "CALL_ESTABLISHED", "CALL_CLOSED", …);
 * returns its call's Call-ID (owned by SELF, "" if the event has none) or
 * NULL if none came within TIMEOUT_MS. With auto-answer there is no
 * CALL_INCOMING, only CALL_ESTABLISHED. */
const char *kl_test_baresip_wait_for (KlTestBaresip *self, const char *event, guint timeout_ms);
/* The INVITEs it received, retransmissions included; their distinct Call-IDs
 * are added to RET_CALL_IDS (strings, freed by the array) if not NULL. */
guint kl_test_baresip_count_invites (KlTestBaresip *self, GPtrArray *ret_call_ids);
void kl_test_baresip_stop (KlTestBaresip *self);
void kl_test_baresip_free (KlTestBaresip *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestBaresip, kl_test_baresip_free)

G_END_DECLS
