/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The failover table of DESIGN.md (from the phone administrator guide), row by
 * row: with which backups configured, what a failed primary moves. */
#include "sipd-failover.h"

enum { P = SIPD_ROLE_PROXY, R = SIPD_ROLE_REGISTRAR, O = SIPD_ROLE_OUTBOUND_PROXY };

typedef struct {
  const char *name;
  gboolean backup[SIPD_N_ROLES]; /* configured: BP, BR, BO */
  gboolean failed[SIPD_N_ROLES]; /* primaries down: P, R, O */
  gboolean expect[SIPD_N_ROLES]; /* uses the backup: proxy (and AOR), registrar, outbound proxy */
} Row;

static const Row rows[] = {
  /* backup proxy and backup registrar */
  { "bp-br/nothing-failed", { 1, 1, 0 }, { 0, 0, 0 }, { 0, 0, 0 } },
  { "bp-br/registrar-fails-registers-at-br-with-the-same-aor", { 1, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 } },
  { "bp-br/proxy-fails-backup-aor-at-the-active-registrar-subscriptions-to-bp", { 1, 1, 0 }, { 1, 0, 0 }, { 1, 0, 0 } },
  { "bp-br/both-fail-everything-on-the-backups", { 1, 1, 0 }, { 1, 1, 0 }, { 1, 1, 0 } },
  { "bp-br/outbound-proxy-without-backup-stays", { 1, 1, 0 }, { 0, 0, 1 }, { 0, 0, 0 } },
  /* backup proxy, backup registrar and backup outbound proxy */
  { "bp-br-bo/outbound-proxy-fails-moves-all", { 1, 1, 1 }, { 0, 0, 1 }, { 1, 1, 1 } },
  { "bp-br-bo/registrar-fails-moves-all", { 1, 1, 1 }, { 0, 1, 0 }, { 1, 1, 1 } },
  { "bp-br-bo/proxy-fails-moves-all", { 1, 1, 1 }, { 1, 0, 0 }, { 1, 1, 1 } },
  { "bp-br-bo/primary-back-moves-all-back", { 1, 1, 1 }, { 0, 0, 0 }, { 0, 0, 0 } },
  /* backup outbound proxy only */
  { "bo/outbound-proxy-fails-goes-through-bo", { 0, 0, 1 }, { 0, 0, 1 }, { 0, 0, 1 } },
  { "bo/registrar-fails-nowhere-to-go", { 0, 0, 1 }, { 0, 1, 0 }, { 0, 0, 0 } },
  { "bo/outbound-proxy-back-goes-through-o", { 0, 0, 1 }, { 0, 0, 0 }, { 0, 0, 0 } },
  /* no backups */
  { "none/everything-stays", { 0, 0, 0 }, { 1, 1, 1 }, { 0, 0, 0 } },
};

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  SipdFailoverConfig config;
  SipdFailoverChoice choice;

  for (guint role = 0; role < SIPD_N_ROLES; role++)
    config.has_backup[role] = row->backup[role];
  choice = sipd_failover_choose (&config, row->failed);
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    g_test_message ("%s: %s", sipd_role_to_string (role), choice.use_backup[role] ? "backup" : "primary");
    g_assert_cmpint (choice.use_backup[role], ==, row->expect[role]);
  }
  g_assert_cmpint (sipd_failover_choice_any (&choice), ==, row->expect[P] || row->expect[R] || row->expect[O]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autofree char *path = g_strdup_printf ("/sipd/failover/%s", rows[i].name);
    g_test_add_data_func (path, &rows[i], test_row);
  }
  return g_test_run ();
}
