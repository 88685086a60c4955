/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus contract documents every interface, member and argument, and the keys
 * of the dictionaries in a property. */
#include "kl-ipc-docs.h"
#include "kl-test-bus.h"

static void
test_every_member_in_the_xml_has_a_doc_comment (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KlIpcDocs) docs = kl_ipc_docs_load_dir (kl_test_source_path ("ipc"), &error);
  GHashTable *flows;

  g_assert_no_error (error);
  for (guint i = 0; i < docs->undocumented->len; i++)
    g_test_message ("%s", (const char *) g_ptr_array_index (docs->undocumented, i));
  g_assert_cmpuint (docs->undocumented->len, ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (docs->members, "org.keepline.Sip.Line1.State"), ==,
                   "property s 1");
  g_assert_cmpstr (g_hash_table_lookup (docs->members, "org.keepline.Sip.Manager1.Reload"), ==,
                   "method in: out:");
  flows = g_hash_table_lookup (docs->keys, "org.keepline.Sip.Line1.Flows");
  g_assert_nonnull (flows);
  g_assert_cmpuint (g_hash_table_size (flows), ==, 10);
  g_assert_cmpstr (g_hash_table_lookup (flows, "purpose"), ==, "s");
  g_assert_cmpstr (g_hash_table_lookup (flows, "rtt-ms"), ==, "i");
  g_assert_cmpstr (g_hash_table_lookup (flows, "keep-alive-s"), ==, "u");
  g_assert_cmpstr (g_hash_table_lookup (flows, "last-failure"), ==, "s");
}

static void
test_a_member_without_a_comment_is_reported (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (KlIpcDocs) docs = NULL;

  kl_test_config_write (dir, "org.example.Bad1.xml",
                        "<node>\n"
                        "  <!-- org.example.Bad1: a test interface -->\n"
                        "  <interface name='org.example.Bad1'>\n"
                        "    <!-- Good: documented -->\n"
                        "    <property name='Good' type='s' access='read'/>\n"
                        "    <property name='Bare' type='s' access='read'/>\n"
                        "    <!-- Call:\n         @first: documented -->\n"
                        "    <method name='Call'><arg name='first' type='s'/><arg name='second' type='s'/></method>\n"
                        "  </interface>\n"
                        "</node>\n");
  docs = kl_ipc_docs_load_dir (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (docs->undocumented->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (docs->undocumented, 0), ==,
                   "org.example.Bad1.xml: property org.example.Bad1.Bare has no doc comment");
  g_assert_cmpstr (g_ptr_array_index (docs->undocumented, 1), ==,
                   "org.example.Bad1.xml: argument second of org.example.Bad1.Call is not described by @second:");
  kl_test_config_dir_remove (dir);
}

static void
test_the_keys_of_a_dictionary_come_from_the_comment_of_its_property (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (KlIpcDocs) docs = NULL;
  GHashTable *items;

  kl_test_config_write (dir, "org.example.Dicts1.xml",
                        "<node>\n"
                        "  <!-- org.example.Dicts1: a test interface -->\n"
                        "  <interface name='org.example.Dicts1'>\n"
                        "    <!-- Items: one dictionary each: \"id\" (u): the item, \"size\" (t, in bytes),\n"
                        "         \"state\" (s): \"new\" (just made) or \"old\", \"parts\" (aa{sv}) -->\n"
                        "    <property name='Items' type='aa{sv}' access='read'/>\n"
                        "    <!-- Bare: documented, \"but\" (not a key) -->\n"
                        "    <property name='Bare' type='aa{sv}' access='read'/>\n"
                        "    <!-- Twice: \"name\" (s) and \"name\" (u) -->\n"
                        "    <property name='Twice' type='a{sv}' access='read'/>\n"
                        "  </interface>\n"
                        "</node>\n");
  docs = kl_ipc_docs_load_dir (dir, &error);
  g_assert_no_error (error);
  items = g_hash_table_lookup (docs->keys, "org.example.Dicts1.Items");
  g_assert_cmpuint (g_hash_table_size (items), ==, 4);
  g_assert_cmpstr (g_hash_table_lookup (items, "id"), ==, "u");
  g_assert_cmpstr (g_hash_table_lookup (items, "size"), ==, "t");
  g_assert_cmpstr (g_hash_table_lookup (items, "state"), ==, "s");
  g_assert_cmpstr (g_hash_table_lookup (items, "parts"), ==, "aa{sv}");
  g_assert_cmpuint (docs->undocumented->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (docs->undocumented, 0), ==,
                   "org.example.Dicts1.xml: property org.example.Dicts1.Bare has dictionaries, but documents "
                   "no key as \"key\" (type)");
  g_assert_cmpstr (g_ptr_array_index (docs->undocumented, 1), ==,
                   "org.example.Dicts1.xml: key \"name\" of org.example.Dicts1.Twice is documented as s and as u");
  kl_test_config_dir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ipc/docs/every-member-in-the-xml-has-a-doc-comment",
                   test_every_member_in_the_xml_has_a_doc_comment);
  g_test_add_func ("/ipc/docs/a-member-without-a-comment-is-reported",
                   test_a_member_without_a_comment_is_reported);
  g_test_add_func ("/ipc/docs/the-keys-of-a-dictionary-come-from-the-comment-of-its-property",
                   test_the_keys_of_a_dictionary_come_from_the_comment_of_its_property);
  return g_test_run ();
}
