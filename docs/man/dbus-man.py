#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes keepline-dbus(7) from the introspection XML in ipc/: the doc comment
of each interface and member, as gdbus-codegen reads them, turned into roff."""
import re
import sys
import xml.etree.ElementTree as ET

INTRO = r"""
.SH NAME
keepline-dbus \- the D\-Bus interfaces of keepline's daemons
.SH DESCRIPTION
keepline's three daemons are on the system bus:
\fBsipd\fR(8) as \fBorg.keepline.Sip\fR,
\fBnetmond\fR(8) as \fBorg.keepline.NetMon\fR and
\fBuid\fR(8) as \fBorg.keepline.Ui\fR.
Every state a person or a script needs is a readable property, announced with
\fBorg.freedesktop.DBus.Properties.PropertiesChanged\fR when it changes.
Anyone may read; the bus policy allows the changing methods to root and the
group \fBkeepline\fR only. No property, signal or error ever carries a password.
.PP
\fBkeeplinectl\fR(1) reads and drives these interfaces; \fBbusctl\fR(1) and
\fBgdbus\fR(1) work too. A dictionary property (\fBa{sv}\fR) may gain keys in
a later version: a reader looks keys up by name and skips those it does not know.
.PP
This page is generated from the introspection XML, which is installed in
\fI/usr/share/dbus\-1/interfaces\fR.
"""

OUTRO = r"""
.SH SEE ALSO
\fBkeeplinectl\fR(1), \fBsipd\fR(8), \fBnetmond\fR(8), \fBuid\fR(8), \fBkeepline.cfg\fR(5), \fBbusctl\fR(1)
"""


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r"<literal>(.*?)</literal>", r"\\fB\1\\fR", text)
    return "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)


def line(text):
    text = roff(text)
    return "\\&" + text if text[:1] in (".", "'") else text


def paragraphs(comment, name):
    """The comment's text without the leading "Name:", its @arg: lines apart."""
    lines = [l.strip() for l in comment.strip("\n").split("\n")]
    if lines and lines[0].startswith(name + ":"):
        lines[0] = lines[0][len(name) + 1:].strip()
    args, text, current = {}, [], None
    for l in lines:
        match = re.match(r"@(\w+):\s*(.*)", l)
        if match:
            current = match.group(1)
            args[current] = match.group(2)
        elif current is not None and l:
            args[current] += " " + l
        else:
            current = None
            text.append(l)
    return args, text


def body(text, paragraph=".PP"):
    """Paragraphs and "- " lists; PARAGRAPH starts a paragraph (".IP" keeps
    the indent of a member's .TP)."""
    out, in_list = [], False
    for l in text:
        if not l:
            if in_list:
                out.append(".RE")
                in_list = False
            if out and out[-1] != paragraph:
                out.append(paragraph)
        elif l.startswith("- "):
            if not in_list:
                out.append(".RS")
                in_list = True
            out.append(".IP \\(bu 2")
            out.append(line(l[2:]))
        else:
            out.append(line(l))
    if in_list:
        out.append(".RE")
    while out and out[-1] == paragraph:
        out.pop()
    while out and out[0] == paragraph:
        out.pop(0)
    return out


def member_comments(element):
    """(comment, member) pairs: each member with the comment just before it."""
    comment = ""
    for child in element:
        if child.tag is ET.Comment:
            comment = child.text or ""
        else:
            yield comment, child
            comment = ""


def signature(method):
    ins = [a for a in method.findall("arg") if a.get("direction", "in") == "in" or method.tag == "signal"]
    outs = [a for a in method.findall("arg") if a.get("direction") == "out"]
    text = "(" + ", ".join(f"{a.get('type')} {a.get('name')}" for a in ins) + ")"
    if outs:
        text += " \\(-> (" + ", ".join(f"{a.get('type')} {a.get('name')}" for a in outs) + ")"
    return roff(text).replace("\\e(\\->", "\\(->")


def interface(comment, iface):
    name = iface.get("name")
    args, text = paragraphs(comment, name)
    short = ""
    if text and text[0].startswith("@short_description:"):
        short = text.pop(0).split(":", 1)[1].strip()
    out = [f".SH {roff(name)}"]
    if short:
        out.append(roff(short) + ".")
        out.append(".PP")
    out += body(text)
    sections = {"property": [], "method": [], "signal": []}
    for member_comment, member in member_comments(iface):
        if member.tag not in sections:
            continue
        member_args, member_text = paragraphs(member_comment, member.get("name"))
        entry = [".TP"]
        if member.tag == "property":
            entry.append(f".B {roff(member.get('name'))} \\fR({roff(member.get('type'))}, {member.get('access')})")
        else:
            entry.append(f".B {roff(member.get('name'))} \\fR{signature(member)}")
        for arg, about in member_args.items():
            entry += [".RS", ".TP", f".I {arg}", line(about), ".RE"]
        if member_args and member_text:
            entry.append(".IP")
        entry += body(member_text, ".IP")
        sections[member.tag] += entry
    for tag, title in (("property", "Properties"), ("method", "Methods"), ("signal", "Signals")):
        if sections[tag]:
            out.append(f".SS {title}")
            out += sections[tag]
    return out


def main():
    version, paths = sys.argv[1], sys.argv[2:]
    out = [f'.TH KEEPLINE\\-DBUS 7 "" "keepline {version}" "keepline"', ".ad l", INTRO.strip()]
    for path in paths:
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
        root = ET.parse(path, parser).getroot()
        for comment, iface in member_comments(root):
            if iface.tag == "interface":
                out += interface(comment, iface)
    out.append(OUTRO.strip())
    sys.stdout.write("\n".join(out) + "\n")


main()
