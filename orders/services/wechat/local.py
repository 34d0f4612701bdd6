"""A local fake of WeChat's official-account API: the real client (``__init__.py``) talks to it over HTTP in
tests and on a developer's machine, exactly as it talks to ``api.weixin.qq.com`` / ``open.weixin.qq.com``.

Like ``payments/apiv3_local.py`` for WeChat Pay, it imports nothing of the shop and keeps its state in memory.
It answers, with WeChat's JSON shapes and errcodes (errors come with HTTP 200, as WeChat's do):
- ``/connect/oauth2/authorize`` — the consent step: redirects to ``redirect_uri?code=…&state=…`` for the WeChat
  user set with ``sign_in_as`` (10003 redirect_uri 域名与后台配置不一致 if it is not under ``domain``);
- ``/sns/oauth2/access_token`` — a code once, within 5 minutes (40029 invalid code, 40163 code been used;
  40013 invalid appid, 40125 invalid appsecret);
- ``/sns/userinfo`` — only for a ``snsapi_userinfo`` grant (48001 api unauthorized; 40001 bad token);
- ``/cgi-bin/token`` (client_credential) and ``/cgi-bin/ticket/getticket?type=jsapi`` (40001 invalid
  credential, 42001 access_token expired), each ``expires_in`` seconds (7200 unless a test says otherwise).
A fresh ``cgi-bin/token`` makes the previous one die, as WeChat does (after 5 minutes there; at once here,
so a test notices).
"""

import argparse
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODE_TTL = 300


def _rid():
    return f"rid: {secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


class Refused(Exception):
    def __init__(self, errcode, errmsg):
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


class LocalWeChat:
    """One official account. ``start()`` serves it on a thread and returns its address."""

    def __init__(self, *, appid="wx520c15f417810387", secret=None, domain="", expires_in=7200, delay=0.0):
        self.appid, self.secret = appid, secret or secrets.token_hex(16)
        self.domain = domain  # 网页授权域名: redirect_uri must be on it ("" = any, for a developer)
        self.expires_in = expires_in
        self.delay = delay  # seconds each token/ticket answer takes (a slow WeChat makes races visible)
        self.user = {"openid": "oLocal" + secrets.token_hex(11), "nickname": "山里的买家",
                     "headimgurl": "", "sex": 0, "province": "四川", "city": "凉山", "country": "中国"}
        self.codes = {}  # code -> {"openid", "scope", "issued", "used"}
        self.sns_tokens = {}  # web-authorisation access_token -> (openid, scope)
        self.tokens = {}  # client_credential access_token -> dies at (time.time())
        self.tickets = []  # every jsapi ticket issued
        self.calls = []  # path of every API request
        self.lock = threading.Lock()
        self.server, self.url = None, ""

    def sign_in_as(self, openid, nickname="山里的买家"):
        """The WeChat user whose phone is on the other end of the next authorisation."""
        self.user = {**self.user, "openid": openid, "nickname": nickname}

    def issue_code(self, scope="snsapi_base", openid=None):
        code = secrets.token_hex(16)  # WeChat's codes are 32 characters
        with self.lock:
            self.codes[code] = {"openid": openid or self.user["openid"], "scope": scope, "issued": time.time(),
                                "used": False}
        return code

    def count(self, path):
        return sum(1 for p in self.calls if p == path)

    # --- the answers ------------------------------------------------------------------------------
    def authorize(self, q):
        """``(status, location_or_json)`` of the consent page (the buyer always agrees here)."""
        if q.get("appid") != self.appid:
            raise Refused(10002, "appid 参数错误")
        redirect_uri = q.get("redirect_uri", "")
        host = urllib.parse.urlsplit(redirect_uri).hostname or ""
        if self.domain and host != self.domain:
            raise Refused(10003, "redirect_uri 域名与后台配置不一致")
        if q.get("response_type") != "code" or q.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
            raise Refused(10005, "此公众号并没有这些 scope 的权限")
        code = self.issue_code(q["scope"])
        sep = "&" if "?" in redirect_uri else "?"
        return redirect_uri + sep + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})

    def _credentials(self, q):
        if q.get("appid") != self.appid:
            raise Refused(40013, f"invalid appid {_rid()}")
        if q.get("secret") != self.secret:
            raise Refused(40125, f"invalid appsecret {_rid()}")

    def oauth_token(self, q):
        self._credentials(q)
        if q.get("grant_type") != "authorization_code":
            raise Refused(40002, f"invalid grant_type {_rid()}")
        with self.lock:
            row = self.codes.get(q.get("code", ""))
            if row is None or time.time() - row["issued"] > CODE_TTL:
                raise Refused(40029, f"invalid code {_rid()}")
            if row["used"]:
                raise Refused(40163, f"code been used {_rid()}")
            row["used"] = True
            token = secrets.token_urlsafe(48)
            self.sns_tokens[token] = (row["openid"], row["scope"])
        return {"access_token": token, "expires_in": 7200, "refresh_token": secrets.token_urlsafe(48),
                "openid": row["openid"], "scope": row["scope"], "is_snapshotuser": 0}

    def sns_userinfo(self, q):
        with self.lock:
            grant = self.sns_tokens.get(q.get("access_token", ""))
        if grant is None or grant[0] != q.get("openid"):
            raise Refused(40001, f"invalid credential, access_token is invalid or not latest {_rid()}")
        if grant[1] != "snsapi_userinfo":
            raise Refused(48001, f"api unauthorized {_rid()}")
        return {**self.user, "privilege": []}

    def client_token(self, q):
        self._credentials(q)
        if q.get("grant_type") != "client_credential":
            raise Refused(40002, f"invalid grant_type {_rid()}")
        time.sleep(self.delay)
        token = secrets.token_urlsafe(96)
        with self.lock:
            self.tokens = {token: time.time() + self.expires_in}  # the previous token dies
        return {"access_token": token, "expires_in": self.expires_in}

    def ticket(self, q):
        with self.lock:
            dies = self.tokens.get(q.get("access_token", ""))
        if dies is None:
            raise Refused(40001, f"invalid credential, access_token is invalid or not latest {_rid()}")
        if time.time() > dies:
            raise Refused(42001, f"access_token expired {_rid()}")
        if q.get("type") != "jsapi":
            raise Refused(40097, f"invalid args {_rid()}")
        time.sleep(self.delay)
        ticket = secrets.token_urlsafe(64)
        with self.lock:
            self.tickets.append(ticket)
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": self.expires_in}

    ROUTES = {"/sns/oauth2/access_token": "oauth_token", "/sns/userinfo": "sns_userinfo",
              "/cgi-bin/token": "client_token", "/cgi-bin/ticket/getticket": "ticket"}

    # --- HTTP -------------------------------------------------------------------------------------
    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests and the developer's console stay readable
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                with api.lock:
                    api.calls.append(url.path)
                status, headers = 200, {"Content-Type": "text/plain"}  # WeChat labels its JSON text/plain
                try:
                    if url.path == "/connect/oauth2/authorize":
                        status, headers, answer = 302, {"Location": api.authorize(q)}, None
                    elif url.path in api.ROUTES:
                        answer = getattr(api, api.ROUTES[url.path])(q)
                    else:
                        status, answer = 404, {"errcode": 404, "errmsg": "not found"}
                except Refused as exc:
                    answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
                payload = json.dumps(answer, ensure_ascii=False).encode() if answer is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="local-wechat", daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def main():
    """Serve the fake official account for a developer and print the variables that point the shop at it.
    Opening the shop's WeChat sign-in then goes through this server's consent step."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--openid", default="", help="the WeChat user who signs in (default: a random one)")
    args = parser.parse_args()
    api = LocalWeChat()
    if args.openid:
        api.sign_in_as(args.openid)
    url = api.start()
    print(f"export WECHAT_APPID={api.appid} WECHAT_APP_SECRET={api.secret} WECHAT_API_BASE={url} "
          f"WECHAT_OPEN_BASE={url}")
    print(f"signing in as {api.user['openid']}; Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
