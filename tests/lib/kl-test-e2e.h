/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one end-to-end test binary, or one shard of it, owns while others run
 * beside it (tests/meson.build gives each its own):
 *   --address-block=127.0.N.0/24  the loopback addresses its servers listen on,
 *                                 1 <= N <= 255 (required): everything a test
 *                                 does to an address — a Kamailio, a dnsmasq,
 *                                 a black hole, a reset — stays in its block;
 *   --shard=I/M                   run only the test cases I, I+M, I+2M, … in the
 *                                 order they are added (1 <= I <= M); without
 *                                 it, every case.
 * Both come before GTest's own options, e.g.
 *   test-e2e-failover --address-block=127.0.4.0/24 --shard=2/4 --tap */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Takes the options above out of argv, then g_test_init(). */
void kl_test_e2e_init (int *argc, char ***argv);

/* N of the block, e.g. to name what the test makes outside it. */
guint kl_test_e2e_block (void);
/* "127.0.N.HOST", valid for the whole run. */
const char *kl_test_e2e_address (guint host);
/* Whether the next test case added belongs to this shard; called once per case. */
gboolean kl_test_e2e_shard_takes_next (void);

/* The certificates of the run (kl_test_certificates_new()), made on the first call. */
const char *kl_test_e2e_certificates (void);
/* g_test_run(), then the certificates removed. */
int kl_test_e2e_run (void);

/* g_test_add() for the cases of this shard only. */
#define kl_test_e2e_add(path, Fixture, tdata, fsetup, ftest, fteardown)                                          \
  G_STMT_START                                                                                                   \
  {                                                                                                              \
    if (kl_test_e2e_shard_takes_next ())                                                                         \
      g_test_add (path, Fixture, tdata, fsetup, ftest, fteardown);                                               \
  }                                                                                                              \
  G_STMT_END

G_END_DECLS
