/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which servers a line uses, from which of its primary servers have failed:
 * the failover table of DESIGN.md made into one pure function.
 *   - backup proxy and backup registrar: each fails over on its own; the proxy
 *     decides the AOR's domain and where subscriptions go;
 *   - backup proxy, registrar and outbound proxy: any failure moves all three;
 *   - backup outbound proxy only: only the outbound proxy fails over.
 * Roles without a backup stay on their primary. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPD_ROLE_PROXY,
  SIPD_ROLE_REGISTRAR,
  SIPD_ROLE_OUTBOUND_PROXY,
  SIPD_N_ROLES,
} SipdRole;

typedef struct {
  gboolean has_backup[SIPD_N_ROLES];
} SipdFailoverConfig;

typedef struct {
  gboolean use_backup[SIPD_N_ROLES];
} SipdFailoverChoice;

SipdFailoverChoice sipd_failover_choose (const SipdFailoverConfig *config, const gboolean failed[SIPD_N_ROLES]);
gboolean sipd_failover_choice_equal (const SipdFailoverChoice *a, const SipdFailoverChoice *b);
gboolean sipd_failover_choice_any (const SipdFailoverChoice *choice);
const char *sipd_role_to_string (SipdRole role);

G_END_DECLS
