"""The production shape on one machine: Debian's nginx with deploy/nginx/valvomo.conf (TLS)
in front of two `valvomo serve` processes and a `valvomo worker`, all real processes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.config import PROJECT_ROOT
from tests.core.notifications.servers import free_port

NGINX = "/usr/sbin/nginx"
DEPLOY = PROJECT_ROOT / "deploy"


def require_nginx() -> str:
    """nginx is a real part of these tests: missing, they fail (scripts/dev test installs it)."""
    path = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    assert path, "Debian's nginx is required for the reverse-proxy tests: apt-get install nginx"
    return path


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def site_config(folder: Path, app_ports: tuple[int, int], http_port: int, tls_port: int) -> Path:
    """deploy/nginx/valvomo.conf with this machine's ports, certificate and folders."""
    cert, key = self_signed_certificate(folder)
    proxy = folder / "valvomo_proxy.conf"
    shutil.copy(DEPLOY / "nginx" / "valvomo_proxy.conf", proxy)
    site = (DEPLOY / "nginx" / "valvomo.conf").read_text(encoding="utf-8")
    replacements = {
        "127.0.0.1:8001": f"127.0.0.1:{app_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{app_ports[1]}",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl": f"listen 127.0.0.1:{tls_port} ssl",
        "/etc/ssl/valvomo/fullchain.pem": str(cert),
        "/etc/ssl/valvomo/privkey.pem": str(key),
        "/etc/nginx/valvomo_proxy.conf": str(proxy),
        "/opt/valvomo/themes/default": str(PROJECT_ROOT / "themes" / "default"),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/valvomo.conf no longer has {old!r}"
        site = site.replace(old, new)
    site = re.sub(r"^\s*listen \[::\].*$", "", site, flags=re.MULTILINE)  # no IPv6 here
    path = folder / "site.conf"
    path.write_text(site, encoding="utf-8")
    return path


def nginx_config(folder: Path, site: Path) -> Path:
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    path = folder / "nginx.conf"
    path.write_text(
        f"""{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder / "access.log"};
{temp}
    include {site};
}}
""",
        encoding="utf-8",
    )
    return path


class Stack:
    """nginx, two app processes and a worker; `restart_app(n)` stops one gracefully."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.app_ports = (free_port(), free_port())
        self.http_port, self.tls_port = free_port(), free_port()
        self.apps: list[subprocess.Popen[bytes]] = []
        self.worker: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.base_url = f"https://127.0.0.1:{self.tls_port}"

    def start(self) -> None:
        nginx = require_nginx()
        self.apps = [self._start_app(port) for port in self.app_ports]
        self.worker = self._valvomo("worker", log_name="worker")
        site = site_config(self.folder, self.app_ports, self.http_port, self.tls_port)
        config = nginx_config(self.folder, site)
        self.nginx = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"])
        for port in self.app_ports:
            wait_until(f"http://127.0.0.1:{port}/healthz", self.apps)
        wait_until(f"{self.base_url}/healthz", [self.nginx])

    def restart_app(self, index: int) -> float:
        """SIGTERM one app process, start it again; returns the seconds it was away."""
        started = time.monotonic()
        old = self.apps[index]
        old.send_signal(signal.SIGTERM)
        # uvicorn finishes the requests in flight, then re-raises SIGTERM (systemd: success)
        assert old.wait(timeout=60) in (0, -signal.SIGTERM)
        self.apps[index] = self._start_app(self.app_ports[index])
        wait_until(f"http://127.0.0.1:{self.app_ports[index]}/healthz", [self.apps[index]])
        return time.monotonic() - started

    def stop(self) -> None:
        for process in [self.nginx, self.worker, *self.apps]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.nginx, self.worker, *self.apps]:
            if process is not None:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _start_app(self, port: int) -> subprocess.Popen[bytes]:
        return self._valvomo(
            "serve", "--host", "127.0.0.1", "--port", str(port), log_name=f"app-{port}"
        )

    def _valvomo(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{log_name}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT,
                                env=self.env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


def wait_until(url: str, processes: list[subprocess.Popen[bytes]], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.args} exited with {process.returncode}"
        try:
            if httpx.get(url, timeout=2, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")
