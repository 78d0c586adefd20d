#!/usr/bin/env python3
"""Measure the desktop app's cold start and idle memory.

Cold start: from the WebDriver request that launches melody-desk until the
calendar grid is in the window's DOM. Idle memory: after 10 s of idling, the
summed proportional set size (PSS, from /proc/PID/smaps_rollup) of
melody-desk and the WebKit processes it started.

Usage: scripts/bench-desktop.py [BINARY] [RUNS]
(default target/release/melody-desk, 5 runs). Needs Xvfb, dbus-run-session,
tauri-driver and WebKitWebDriver, which scripts/setup installs. Every process
runs on this machine; the servers listen on 127.0.0.1 only.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

IDLE_SECONDS = 10


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)


def wait_until(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting until {what}")
        time.sleep(0.05)


def descendants(root):
    """Return the PIDs of every process below `root`."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        for child in children.get(pid, []):
            found.append(child)
            queue.append(child)
    return found


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def one_run(binary, display):
    with tempfile.TemporaryDirectory() as folder:
        port, native = free_port(), free_port()
        env = dict(
            os.environ,
            DISPLAY=display,
            MELODY_DB=os.path.join(folder, "melody.db"),
            ADMIN_API_KEY="bench-admin-key-0123456789abcdef",
            XDG_DATA_HOME=os.path.join(folder, "data"),
            XDG_CONFIG_HOME=os.path.join(folder, "config"),
            RUST_LOG="warn",
        )
        driver = subprocess.Popen(
            ["dbus-run-session", "--", "tauri-driver", "--port", str(port), "--native-port", str(native)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until("tauri-driver answers", lambda: _answers(f"{base}/status"))
            started = time.monotonic()
            capabilities = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": binary}}}}
            session = request("POST", f"{base}/session", capabilities)["value"]["sessionId"]
            find = {"using": "css selector", "value": ".ec-time-grid"}
            wait_until(
                "the calendar grid is shown",
                lambda: "error" not in request("POST", f"{base}/session/{session}/element", find)["value"],
            )
            cold_start = time.monotonic() - started

            time.sleep(IDLE_SECONDS)
            apps = [pid for pid in descendants(driver.pid) if process_name(pid) not in {"tauri-driver", "WebKitWebDriver", "dbus-daemon", "dbus-run-session"}]
            memory = sum(pss_kib(pid) for pid in apps) / 1024
            names = sorted({process_name(pid) for pid in apps})
            request("DELETE", f"{base}/session/{session}")
            return cold_start, memory, names
        finally:
            os.killpg(driver.pid, signal.SIGTERM)
            driver.wait()


def _answers(url):
    try:
        request("GET", url)
        return True
    except OSError:
        return False


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/melody-desk")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    display_number = next(n for n in range(90, 200) if not os.path.exists(f"/tmp/.X{n}-lock"))
    display = f":{display_number}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until("Xvfb is up", lambda: os.path.exists(f"/tmp/.X11-unix/X{display_number}"))
        starts, memories = [], []
        for run in range(runs):
            cold_start, memory, names = one_run(binary, display)
            starts.append(cold_start)
            memories.append(memory)
            print(f"run {run + 1}: cold start {cold_start * 1000:.0f} ms, idle PSS {memory:.0f} MiB ({', '.join(names)})")
        print(f"median cold start {statistics.median(starts) * 1000:.0f} ms, median idle PSS {statistics.median(memories):.0f} MiB")
    finally:
        os.killpg(xvfb.pid, signal.SIGTERM)
        xvfb.wait()


if __name__ == "__main__":
    main()
