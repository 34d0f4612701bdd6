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
  credential, 42001 access_token expired), each ``expires_in`` seconds (7200 unless a test says otherwise);
- ``POST /cgi-bin/message/template/send?access_token=…`` — a template message (模板消息) to a follower of the
  account: 40001/42001 for the token, 40003 an openid this account never issued, 43004 require subscribe (the
  user does not follow the account), 40037 a template id the account has not added, 47001 data format error
  (not ``{"key": {"value": "…"}}``, or a key the template lacks), 47003 a value longer than its field's type
  allows (``thing`` 20 characters, ``character_string`` 32, ``phrase`` 5 — the limits of the 类目模板 in force
  since May 2023), 45009 the day's quota used up. ``client_msg_id`` (防重入 id) as WeChat documents it: for the
  same openid and id within 10 minutes one message only — a repeat is answered with the first ``msgid``.
  Accepted messages are kept in ``messages`` (what reached the phone).
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
CLIENT_MSG_TTL = 600  # WeChat keeps a client_msg_id 10 minutes
# The longest value each field type of a category template (类目模板) takes, in characters.
FIELD_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "letter": 32, "symbol": 5,
                "car_number": 8, "name": 10, "amount": 32, "time": 32, "date": 32, "const": 20}


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
        self.followers = set()  # openids that follow the account: only they receive template messages
        self.templates = {}  # template_id -> its field keys (模板消息 > 我的模板)
        self.messages = []  # every template message sent: {"msgid", "touser", "template_id", "url", "data", …}
        self.client_msgs = {}  # (openid, client_msg_id) -> (msgid, at)
        self.daily_quota = 100000  # template messages a day (45009 after)
        self.send_delay = 0.0  # seconds a template send takes *after* it is sent (a reply lost to a timeout)
        self.echo = False  # print each message sent (the developer's server)
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

    def follow(self, openid):
        """This WeChat user follows (关注) the official account."""
        with self.lock:
            self.followers.add(openid)

    def unfollow(self, openid):
        with self.lock:
            self.followers.discard(openid)

    def add_template(self, keys=("thing1", "time2", "thing3"), template_id=None):
        """The operator adds a template from the library (模板库 → 添加); returns its id."""
        template_id = template_id or secrets.token_urlsafe(32)[:43]  # WeChat's ids are 43 characters
        with self.lock:
            self.templates[template_id] = tuple(keys)
        return template_id

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
        self._token(q)
        if q.get("type") != "jsapi":
            raise Refused(40097, f"invalid args {_rid()}")
        time.sleep(self.delay)
        ticket = secrets.token_urlsafe(64)
        with self.lock:
            self.tickets.append(ticket)
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": self.expires_in}

    def _token(self, q):
        with self.lock:
            dies = self.tokens.get(q.get("access_token", ""))
        if dies is None:
            raise Refused(40001, f"invalid credential, access_token is invalid or not latest {_rid()}")
        if time.time() > dies:
            raise Refused(42001, f"access_token expired {_rid()}")

    def _known(self, openid):
        issued = {row["openid"] for row in self.codes.values()} | {self.user["openid"]}
        return openid in issued or openid in self.followers

    def template_send(self, q, body):
        self._token(q)
        if not isinstance(body, dict):
            raise Refused(47001, f"data format error {_rid()}")
        openid, template_id = body.get("touser"), body.get("template_id")
        data = body.get("data")
        with self.lock:
            if not isinstance(openid, str) or not self._known(openid):
                raise Refused(40003, f"invalid openid {_rid()}")
            keys = self.templates.get(template_id)
            if keys is None:
                raise Refused(40037, f"invalid template_id {_rid()}")
            if not isinstance(data, dict) or not data or any(
                    k not in keys or not isinstance(v, dict) or not isinstance(v.get("value"), str)
                    for k, v in data.items()):
                raise Refused(47001, f"data format error {_rid()}")
            for key, field in data.items():
                kind = key.rstrip("0123456789")
                if len(field["value"]) > FIELD_LIMITS.get(kind, 200) or "\n" in field["value"]:
                    raise Refused(47003, f"argument invalid! data.{key}.value invalid {_rid()}")
            if openid not in self.followers:
                raise Refused(43004, f"require subscribe {_rid()}")
            client_msg_id = body.get("client_msg_id") or ""
            if len(client_msg_id) > 64:
                raise Refused(45067, f"clientmsgid size out of limit {_rid()}")
            now = time.time()
            earlier = self.client_msgs.get((openid, client_msg_id)) if client_msg_id else None
            if earlier and now - earlier[1] <= CLIENT_MSG_TTL:
                msgid = earlier[0]
            else:
                today = time.strftime("%Y-%m-%d")
                if sum(1 for m in self.messages if m["day"] == today) >= self.daily_quota:
                    raise Refused(45009, f"reach max api daily quota limit {_rid()}")
                msgid = 2_000_000_000 + len(self.messages) * 7 + secrets.randbelow(7)
                self.messages.append({"msgid": msgid, "touser": openid, "template_id": template_id,
                                      "url": body.get("url", ""), "data": data, "client_msg_id": client_msg_id,
                                      "day": today})
                if client_msg_id:
                    self.client_msgs[(openid, client_msg_id)] = (msgid, now)
        if self.echo:
            print(f"模板消息 → {openid}: " + " | ".join(v["value"] for v in data.values()), flush=True)
        time.sleep(self.send_delay)
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    ROUTES = {"/sns/oauth2/access_token": "oauth_token", "/sns/userinfo": "sns_userinfo",
              "/cgi-bin/token": "client_token", "/cgi-bin/ticket/getticket": "ticket"}
    POST_ROUTES = {"/cgi-bin/message/template/send": "template_send"}

    # --- HTTP -------------------------------------------------------------------------------------
    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests and the developer's console stay readable
                pass

            def do_GET(self):
                self.answer("GET")

            def do_POST(self):
                self.answer("POST")

            def answer(self, method):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with api.lock:
                    api.calls.append(url.path)
                status, headers = 200, {"Content-Type": "text/plain"}  # WeChat labels its JSON text/plain
                try:
                    if method == "GET" and url.path == "/connect/oauth2/authorize":
                        status, headers, answer = 302, {"Location": api.authorize(q)}, None
                    elif method == "GET" and url.path in api.ROUTES:
                        answer = getattr(api, api.ROUTES[url.path])(q)
                    elif method == "POST" and url.path in api.POST_ROUTES:
                        try:
                            body = json.loads(raw.decode("utf-8"))
                        except (UnicodeDecodeError, ValueError):
                            raise Refused(47001, f"data format error {_rid()}") from None
                        answer = getattr(api, api.POST_ROUTES[url.path])(q, body)
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
    """Serve the fake official account for a developer and print the variables that point the site at it.
    Opening the shop's WeChat sign-in (or a household's 绑定微信) then goes through this server's consent step,
    and the template messages sent are printed."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--openid", default="", help="the WeChat user who signs in (default: a random one)")
    args = parser.parse_args()
    api = LocalWeChat()
    if args.openid:
        api.sign_in_as(args.openid)
    api.follow(api.user["openid"])  # the developer's WeChat user follows the account: messages reach them
    api.echo = True
    template_id = api.add_template()
    url = api.start()
    print(f"export WECHAT_APPID={api.appid} WECHAT_APP_SECRET={api.secret} WECHAT_API_BASE={url} "
          f"WECHAT_OPEN_BASE={url} WECHAT_TEMPLATE_NOTICE={template_id} NOTIFICATION_CHANNEL=wechat")
    print(f"signing in as {api.user['openid']}; template messages are printed here; Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
