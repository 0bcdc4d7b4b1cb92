# tests/browser/cdp.py: drive headless Chromium over the DevTools protocol on a pipe (fds 3 and 4),
# with nothing but the Python standard library. Used by check.py.
import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time


class BrowserError(Exception):
    pass


class Browser:
    """One headless Chromium; pages are opened one at a time in a fresh tab."""

    def __init__(self, command="chromium", timeout=60.0):
        exe = shutil.which(command)
        if not exe:
            raise BrowserError("'%s' is not installed (Debian package chromium; 'make deps' installs it)" % command)
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="folio-chromium-")
        # fd 3: commands to the browser; fd 4: its replies and events (NUL-separated JSON)
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()

        def wire():
            # move both ends out of the way first, so that neither is closed by the other's dup2
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 100)
            b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 100)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.closerange(5, os.sysconf("SC_OPEN_MAX"))

        args = [exe, "--headless=new", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--user-data-dir=" + self.profile, "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, close_fds=False, preexec_fn=wire,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._next = 0
        self.events = []
        self.session = None

    # -------------------------------------------------------------- protocol
    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._res_r, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the pipe (exit %s)" % self.proc.poll())
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=True):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next:
                if "error" in m:
                    raise BrowserError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, seconds=None):
        deadline = time.monotonic() + (seconds or self.timeout)
        for i, e in enumerate(self.events):
            if e["method"] == method:
                return self.events.pop(i)
        while True:
            m = self._read_message(deadline)
            if "method" in m:
                if m["method"] == method:
                    return m
                self.events.append(m)

    def drain(self, seconds=0.3):
        """Collect the events that arrive within `seconds` (late requests, console messages)."""
        os.set_blocking(self._res_r, False)
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                try:
                    chunk = os.read(self._res_r, 1 << 16)
                except BlockingIOError:
                    time.sleep(0.02)
                    continue
                if not chunk:
                    break
                self._buf += chunk
                while b"\0" in self._buf:
                    msg, self._buf = self._buf.split(b"\0", 1)
                    m = json.loads(msg)
                    if "method" in m:
                        self.events.append(m)
        finally:
            os.set_blocking(self._res_r, True)

    # -------------------------------------------------------------- pages
    def open(self, path, width=1280, height=900):
        """Open a file in a new tab with every event recorded; returns the page's URL."""
        if self.session:
            self.send("Target.closeTarget", {"targetId": self.target}, session=False)
            self.session = None
        self.events = []
        self.target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": self.target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        url = "file://" + os.path.abspath(path)
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")
        self.drain()
        return url

    def requests(self, page_url):
        """URLs the page asked for beyond itself (data: URIs are inline, not requests)."""
        out = []
        for e in self.events:
            if e["method"] == "Network.requestWillBeSent":
                u = e["params"]["request"]["url"]
                if u != page_url and not u.startswith("data:"):
                    out.append(u)
        return out

    def problems(self):
        """Console messages, exceptions and log entries of level warning or error (CSP refusals among them)."""
        out = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.consoleAPICalled":
                out.append("console.%s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description", "")))
                                                                     for a in p.get("args", []))))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append("exception: %s" % p["exceptionDetails"].get("text"))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append("log %s: %s" % (p["entry"]["level"], p["entry"]["text"]))
        return out

    def eval(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise BrowserError("evaluate failed: %s" % r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def screenshot(self, path, clip=None, full=False):
        params = {"format": "png", "captureBeyondViewport": bool(full or clip)}
        if full and not clip:
            size = self.eval("JSON.stringify([document.documentElement.scrollWidth,"
                             " document.documentElement.scrollHeight])")
            w, h = json.loads(size)
            clip = {"x": 0, "y": 0, "width": w, "height": h}
        if clip:
            params["clip"] = dict(clip, scale=1)
        data = self.send("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def pdf_pages(self):
        """Pages of the page printed to PDF with its own @page size."""
        data = base64.b64decode(self.send("Page.printToPDF", {"preferCSSPageSize": True,
                                                              "printBackground": True})["data"])
        import re
        return len(re.findall(rb"/Type\s*/Page(?![s\w])", data)), data

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", session=False)
                except BrowserError:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            os.close(self._cmd_w)
            os.close(self._res_r)
            shutil.rmtree(self.profile, ignore_errors=True)
