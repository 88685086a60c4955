#!/usr/bin/env python3
"""Send ONE out-of-dialog SIP request to the test Kamailio over UDP and print
the final response. Stdlib only; meant to be called from test shell scripts.

  sip-inject.py SERVER_IP[:PORT] mwi     USER DOMAIN [NEW OLD]   # PUBLISH message-summary
  sip-inject.py SERVER_IP[:PORT] blf     USER DOMAIN STATE       # PUBLISH dialog (confirmed|early|terminated)
  sip-inject.py SERVER_IP[:PORT] message USER DOMAIN [TEXT]      # MESSAGE to the AOR
  sip-inject.py SERVER_IP[:PORT] notify  USER DOMAIN [NEW OLD]   # unsolicited message-summary NOTIFY
  sip-inject.py SERVER_IP[:PORT] options USER DOMAIN             # OPTIONS to the AOR
  sip-inject.py SERVER_IP[:PORT] options "" SERVER_IP            # OPTIONS to Kamailio itself
  sip-inject.py SERVER_IP[:PORT] invite  USER DOMAIN             # INVITE, waits for final, ACK/BYE or CANCEL

The From user is "tester", which the config does not challenge.
Exit status 0 if the final response is 2xx, 1 otherwise.
Env: INJECT_TIMEOUT (s, default 5), INJECT_BIND (local IP, default 127.0.0.1),
     INJECT_ETAG (PUBLISH only: refresh/modify that publication via SIP-If-Match
     instead of creating a new one; the ETag is printed as "SIP-ETag: ..."),
     INJECT_EXPIRES (PUBLISH only, default 3600; 0 removes the publication)
"""
import os
import random
import socket
import sys
import time


def rnd(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def build(method, ruri, to, frm_tag, callid, cseq, laddr, extra, body, ctype, to_tag=None, branch=None):
    lip, lport = laddr
    hdrs = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s" % (lip, lport, branch or rnd()),
        "Max-Forwards: 70",
        "From: <sip:tester@%s>;tag=%s" % (lip, frm_tag),
        "To: <%s>%s" % (to, (";tag=" + to_tag) if to_tag else ""),
        "Call-ID: %s" % callid,
        "CSeq: %d %s" % (cseq, method),
        "Contact: <sip:tester@%s:%d>" % (lip, lport),
    ] + extra
    if body:
        hdrs.append("Content-Type: %s" % ctype)
    hdrs.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(hdrs) + "\r\n\r\n" + body).encode()


def parse(data):
    text = data.decode(errors="replace")
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    return lines[0], lines


def hdr(lines, name):
    for l in lines[1:]:
        k, _, v = l.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    server, what, user, domain = sys.argv[1:5]
    args = sys.argv[5:]
    sip, _, sport = server.partition(":")
    dst = (sip, int(sport or 5060))
    timeout = float(os.environ.get("INJECT_TIMEOUT", "5"))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((os.environ.get("INJECT_BIND", "127.0.0.1"), 0))
    s.settimeout(timeout)
    laddr = s.getsockname()
    # empty USER: address the server itself (e.g. OPTIONS ping / readiness)
    aor = "sip:%s@%s" % (user, domain) if user else "sip:%s" % domain
    ftag, callid = rnd(), rnd(16) + "@inject"
    extra, body, ctype, method = [], "", None, None
    pub_hdrs = ["Expires: %s" % os.environ.get("INJECT_EXPIRES", "3600")]
    if os.environ.get("INJECT_ETAG"):
        pub_hdrs.append("SIP-If-Match: %s" % os.environ["INJECT_ETAG"])
    if what == "mwi":
        new, old = (args + ["1", "0"])[:2] if len(args) < 2 else args[:2]
        waiting = "yes" if int(new) > 0 else "no"
        method, ctype = "PUBLISH", "application/simple-message-summary"
        extra = ["Event: message-summary"] + pub_hdrs
        body = ("Messages-Waiting: %s\r\nMessage-Account: %s\r\n"
                "Voice-Message: %s/%s (0/0)\r\n" % (waiting, aor, new, old))
    elif what == "blf":
        state = args[0] if args else "confirmed"
        method, ctype = "PUBLISH", "application/dialog-info+xml"
        extra = ["Event: dialog"] + pub_hdrs
        body = ('<?xml version="1.0"?>\r\n'
                '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" '
                'state="full" entity="%s">\r\n'
                '<dialog id="%s" direction="recipient"><state>%s</state></dialog>\r\n'
                '</dialog-info>\r\n' % (aor, rnd(), state))
    elif what == "notify":
        # RFC 3842 5.2: what a voicemail server sends with no SUBSCRIBE
        new, old = (args + ["1", "0"])[:2] if len(args) < 2 else args[:2]
        method, ctype = "NOTIFY", "application/simple-message-summary"
        extra = ["Event: message-summary", "Subscription-State: active"]
        body = ("Messages-Waiting: %s\r\nMessage-Account: %s\r\n"
                "Voice-Message: %s/%s (0/0)\r\n" % ("yes" if int(new) > 0 else "no", aor, new, old))
    elif what == "message":
        method, ctype = "MESSAGE", "text/plain"
        body = args[0] if args else "hello from sip-inject"
    elif what == "options":
        method = "OPTIONS"
    elif what == "invite":
        method, ctype = "INVITE", "application/sdp"
        body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (laddr[0], laddr[0]))
    else:
        print("unknown request kind %r" % what)
        return 2
    branch = rnd()
    msg = build(method, aor, aor, ftag, callid, 1, laddr, extra, body, ctype, branch=branch)
    s.sendto(msg, dst)
    deadline = time.time() + timeout
    while True:
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            print("TIMEOUT")
            return 1
        first, lines = parse(data)
        print(first)
        code = int(first.split()[1])
        if code >= 200:
            break
        if time.time() > deadline:
            if method == "INVITE":
                m = build("CANCEL", aor, aor, ftag, callid, 1, laddr, [], "", None, branch=branch)
                s.sendto(m, dst)
            print("TIMEOUT")
            return 1
    if method == "PUBLISH" and hdr(lines, "SIP-ETag"):
        print("SIP-ETag: " + hdr(lines, "SIP-ETag"))
    if method == "INVITE":
        totag = hdr(lines, "To").split("tag=")[-1] if "tag=" in hdr(lines, "To") else None
        if 200 <= code < 300:
            # ACK + BYE go to the remote target through the record-route set;
            # Kamailio is the only proxy, so send both to it with Route headers
            rr = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("record-route:")]
            route = ", ".join(reversed(rr)) if rr else None
            tgt = hdr(lines, "Contact").strip("<>").split(">")[0]
            ex = ["Route: %s" % route] if route else []
            s.sendto(build("ACK", tgt, aor, ftag, callid, 1, laddr, ex, "", None, totag), dst)
            time.sleep(0.2)
            s.sendto(build("BYE", tgt, aor, ftag, callid, 2, laddr, ex, "", None, totag), dst)
            try:
                data, _ = s.recvfrom(65535)
                print("BYE -> " + parse(data)[0])
            except socket.timeout:
                print("BYE -> TIMEOUT")
        else:
            # ACK for a non-2xx is hop-by-hop: same branch as the INVITE
            s.sendto(build("ACK", aor, aor, ftag, callid, 1, laddr, [], "", None,
                           totag, branch=branch), dst)
    return 0 if 200 <= code < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
