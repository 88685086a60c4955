/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as a buffer of rtnetlink messages, fed to a
 * detached links model, whole and then in two parts. Malformed messages are
 * skipped; nothing crashes or leaks, and what the model holds stays readable.
 * The seeds are dumps and notifications captured from a kernel. */
#include <string.h>

#include "fuzz-quiet.h"
#include "netmond-links.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
read_model (NetmondLinks *links)
{
  GPtrArray *all = netmond_links_get_links (links);

  for (guint i = 0; i < all->len; i++) {
    const NetmondLink *link = all->pdata[i];

    g_assert (netmond_links_lookup (links, link->name) != NULL);
    g_assert (g_utf8_validate (link->name, -1, NULL));
    (void) netmond_link_state_to_string (link->state);
    for (guint j = 0; j < link->addresses->len; j++)
      g_assert (strchr (link->addresses->pdata[j], '/') != NULL);
  }
  if (netmond_links_has_default_route (links))
    g_assert (netmond_links_get_default_route_link (links) != NULL);
  (void) netmond_links_has_usable_link (links);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gboolean initialized;
  g_autoptr (NetmondLinks) whole = NULL;
  g_autoptr (NetmondLinks) split = NULL;

  if (!initialized) {
    g_log_set_writer_func (fuzz_quiet_writer, NULL, NULL);
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
    initialized = TRUE;
  }

  whole = netmond_links_new_detached (NULL, NULL);
  netmond_links_feed (whole, data, size);
  read_model (whole);
  /* the same again changes nothing, but takes the paths of known links and addresses */
  netmond_links_feed (whole, data, size);
  read_model (whole);

  split = netmond_links_new_detached (NULL, NULL);
  netmond_links_feed (split, data, size / 2);
  netmond_links_feed (split, data + size / 2, size - size / 2);
  read_model (split);
  return 0;
}
