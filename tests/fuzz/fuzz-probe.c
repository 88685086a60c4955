/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any datagram as the answer to netmond's OPTIONS probe of
 * a UDP server, for the probe whose ID the first four bytes give. Only a SIP
 * status line and the probe's Call-ID count, and the status read is one. */
#include <string.h>

#include "netmond-probes.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint32 id = 0;
  guint status = 0;

  if (size >= 4) {
    memcpy (&id, data, 4);
    data += 4;
    size -= 4;
  }
  if (netmond_probe_is_answer ((const char *) data, size, id, &status))
    g_assert (status >= 100 && status <= 699);
  return 0;
}
