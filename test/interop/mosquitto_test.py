#!/usr/bin/python3
"""Interoperability with the Eclipse Mosquitto command-line clients (mosquitto_pub, mosquitto_sub),
MQTT 3.1.1 and 5.0: publish/subscribe at QoS 0/1/2, retained messages, wills, and (v5) message
properties given with -D: user-property, message-expiry-interval, content-type,
payload-format-indicator, response-topic, topic-alias, subscription-identifier.

    /usr/bin/python3 test/interop/mosquitto_test.py -h 127.0.0.1 -p 1883 [-t test_name] [-v]
"""

import os
import shutil
import subprocess
import threading
import time

from interop_harness import QUIET, WAIT, check, parse_args, run_tests

HOST = PORT = None
PREFIX = "mosq-interop/%d/" % os.getpid()
VERSIONS = (("v311", "mqttv311"), ("v5", "mqttv5"))
FORMAT = "MSG|%t|%q|%r|%p"
FORMAT5 = FORMAT + "|%P|%E|%C|%F|%R|%S"


class Proc:
    """A mosquitto client process whose output lines are collected by a reader thread."""

    def __init__(self, argv, stdin=None):
        prefix = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        self.p = subprocess.Popen(
            prefix + argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if stdin is not None:
            self.p.stdin.write(stdin)
            self.p.stdin.close()
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(line) for line in list(self.lines)):
                return True
            time.sleep(0.02)
        return False

    def subscribed(self):
        check(self.wait_for(lambda l: "received SUBACK" in l), "no SUBACK: %s" % self.lines)

    def messages(self):
        return [line.split("|")[1:] for line in list(self.lines) if line.startswith("MSG|")]

    def wait_messages(self, n, timeout=WAIT):
        self.wait_for(lambda _: len(self.messages()) >= n, timeout)
        return self.messages()

    def finish(self, timeout=WAIT):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.reader.join(1)
        return self.p.returncode

    def kill(self):
        self.p.kill()
        self.p.wait()
        self.reader.join(1)


def common(version):
    return ["-h", HOST, "-p", str(PORT), "-V", version]


def sub(version, topic, *extra):
    fmt = FORMAT5 if version == "mqttv5" else FORMAT
    proc = Proc(["mosquitto_sub", *common(version), "-d", "-t", topic, "-F", fmt, *extra])
    proc.subscribed()
    return proc


def pub(version, topic, *extra, stdin=None):
    proc = Proc(["mosquitto_pub", *common(version), "-t", topic, *extra], stdin=stdin)
    rc = proc.finish()
    check(rc == 0, "mosquitto_pub exited %s: %s" % (rc, proc.lines))


def make_pubsub_test(label, version, qos):
    def test():
        topic = PREFIX + "%s/qos%d" % (label, qos)
        s = sub(version, topic, "-q", str(qos), "-C", "1")
        pub(version, topic, "-q", str(qos), "-m", "hello %d" % qos)
        msgs = s.wait_messages(1)
        s.finish()
        check(len(msgs) == 1, "expected one message, got %s" % s.lines)
        check(msgs[0][:4] == [topic, str(qos), "0", "hello %d" % qos], "received %s" % msgs[0])

    test.__name__ = "%s_publish_subscribe_qos%d" % (label, qos)
    return test


def make_retained_test(label, version):
    def test():
        topic = PREFIX + label + "/retained"
        pub(version, topic, "-q", "1", "-r", "-m", "kept")
        s = sub(version, topic, "-C", "1", "-W", str(int(WAIT)))
        msgs = s.wait_messages(1)
        s.finish()
        check(len(msgs) == 1 and msgs[0][:4] == [topic, "0", "1", "kept"], "[MQTT-3.3.1-6] %s" % s.lines)
        pub(version, topic, "-q", "1", "-r", "-n")  # [MQTT-3.3.1-10] empty payload clears it
        s = sub(version, topic)
        time.sleep(QUIET)
        s.kill()
        check(s.messages() == [], "retained message not cleared: %s" % s.messages())

    test.__name__ = "%s_retained" % label
    return test


def make_will_test(label, version):
    def test():
        will_topic = PREFIX + label + "/will"
        watcher = sub(version, will_topic, "-q", "1")
        victim = sub(
            version,
            PREFIX + label + "/idle",
            "--will-topic",
            will_topic,
            "--will-payload",
            "gone",
            "--will-qos",
            "1",
        )
        victim.kill()  # SIGKILL: the socket closes without DISCONNECT [MQTT-3.1.2-8]
        msgs = watcher.wait_messages(1)
        watcher.kill()
        check(len(msgs) == 1 and msgs[0][0] == will_topic and msgs[0][3] == "gone", "will: %s" % watcher.lines)

    test.__name__ = "%s_will" % label
    return test


def v5_properties():
    topic = PREFIX + "v5/properties"
    s = sub("mqttv5", topic, "-C", "1", "-q", "1")
    pub(
        "mqttv5",
        topic,
        "-q",
        "1",
        "-m",
        "props",
        "-D", "publish", "user-property", "colour", "blue",
        "-D", "publish", "message-expiry-interval", "60",
        "-D", "publish", "content-type", "text/plain",
        "-D", "publish", "payload-format-indicator", "1",
        "-D", "publish", "response-topic", PREFIX + "v5/reply",
    )  # fmt: skip
    msgs = s.wait_messages(1)
    s.finish()
    check(len(msgs) == 1, s.lines)
    _topic, _qos, _retain, payload, user, expiry, ctype, pfi, resp, _sid = msgs[0]
    check(payload == "props", msgs[0])
    check(user == "colour:blue", "[MQTT-3.3.2-17] user property %r" % user)
    check(expiry.isdigit() and 0 < int(expiry) <= 60, "[MQTT-3.3.2-6] message expiry %r" % expiry)
    check(ctype == "text/plain", "[MQTT-3.3.2-20] content type %r" % ctype)
    check(pfi == "1", "[MQTT-3.3.2-4] payload format indicator %r" % pfi)
    check(resp == PREFIX + "v5/reply", "response topic %r" % resp)


def v5_topic_alias():
    # mosquitto_pub -l sends the topic once with the alias, then the alias alone [MQTT-3.3.2-12]
    topic = PREFIX + "v5/alias"
    s = sub("mqttv5", topic, "-C", "3", "-q", "1")
    pub("mqttv5", topic, "-q", "1", "-l", "-D", "publish", "topic-alias", "3", stdin="one\ntwo\nthree\n")
    msgs = s.wait_messages(3)
    s.finish()
    check([(m[0], m[3]) for m in msgs] == [(topic, "one"), (topic, "two"), (topic, "three")], s.lines)


def v5_subscription_identifier():
    topic = PREFIX + "v5/subid"
    s = sub("mqttv5", topic, "-C", "1", "-D", "subscribe", "subscription-identifier", "7")
    pub("mqttv5", topic, "-m", "x")
    msgs = s.wait_messages(1)
    s.finish()
    check(len(msgs) == 1 and msgs[0][9] == "7", "[MQTT-3.3.4-3] subscription identifier: %s" % s.lines)


def v5_message_expiry_retained():
    # a retained message past its expiry is no longer delivered [MQTT-3.3.2-5]
    topic = PREFIX + "v5/retained-expiry"
    pub("mqttv5", topic, "-r", "-q", "1", "-m", "short", "-D", "publish", "message-expiry-interval", "1")
    time.sleep(1.5)
    s = sub("mqttv5", topic)
    time.sleep(QUIET)
    s.kill()
    pub("mqttv5", topic, "-r", "-n")
    check(s.messages() == [], "expired retained message delivered: %s" % s.messages())


TESTS = []
for _label, _version in VERSIONS:
    TESTS += [make_pubsub_test(_label, _version, q) for q in (0, 1, 2)]
    TESTS += [make_retained_test(_label, _version), make_will_test(_label, _version)]
TESTS += [v5_properties, v5_topic_alias, v5_subscription_identifier, v5_message_expiry_retained]


def setup_factory(parsed):
    def setup():
        global HOST, PORT
        HOST, PORT = parsed.hostname, parsed.port
        for tool in ("mosquitto_pub", "mosquitto_sub"):
            check(shutil.which(tool) is not None, "%s not installed (apt-get install mosquitto-clients)" % tool)
        print("hostname %s port %d (mosquitto_pub/mosquitto_sub)" % (HOST, PORT), flush=True)

    return setup


if __name__ == "__main__":
    args = parse_args("mosquitto_pub/mosquitto_sub interoperability tests")
    raise SystemExit(run_tests(TESTS, args, setup_factory(args)))
