/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads the D-Bus contract in the ipc/ XML files with its doc comments: which members it
 * declares, with which signatures, and which of them lack documentation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* "org.keepline.Sip.Line1.State" -> "property s"; "…Register" -> "method in: out:";
   * "org.keepline.Sip.Line1" -> "interface" */
  GHashTable *members;
  GPtrArray *undocumented; /* "file: what" */
  /* "org.keepline.Sip.Line1.Flows" -> a GHashTable "rtt-ms" -> "i": the keys of the
   * dictionaries (a{sv}) in a property's value, as its comment documents them,
   * each as "key" (type) */
  GHashTable *keys;
} KlIpcDocs;

KlIpcDocs *kl_ipc_docs_load_dir (const char *dir, GError **error);
void kl_ipc_docs_free (KlIpcDocs *docs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlIpcDocs, kl_ipc_docs_free)

G_END_DECLS
