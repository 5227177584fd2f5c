"""Shared harness for the Paho-style interoperability scripts (client_test.py, client_test5.py).

Drives a broker with the real Eclipse Paho Python client (Debian python3-paho-mqtt 1.6.1), plus
a tiny raw-socket client for the few steps a well-behaved client library refuses to take
(second CONNECT, wrong protocol name, Topic Alias 0, withholding acknowledgements).

Run with the system interpreter (/usr/bin/python3), which has the Debian package.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time
import traceback

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

WAIT = float(os.environ.get("INTEROP_WAIT", "5"))  # seconds to wait for something that should happen
QUIET = float(os.environ.get("INTEROP_QUIET", "0.7"))  # window in which something must NOT happen

TOPICS = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
WILDTOPICS = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def wait_until(predicate, timeout=WAIT, interval=0.02):
    """Polls predicate until it is true or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def props(packet_type, **values):
    """Builds paho Properties; list values (UserProperty) are appended one by one."""
    p = Properties(packet_type)
    for name, value in values.items():
        if isinstance(value, list):
            for item in value:
                setattr(p, name, item)
        else:
            setattr(p, name, value)
    return p


# ---------------------------------------------------------------------------------------------
# Paho-based client


class Message:
    __slots__ = ("topic", "payload", "qos", "retain", "mid", "dup", "props")

    def __init__(self, msg):
        self.topic = msg.topic
        self.payload = msg.payload
        self.qos = msg.qos
        self.retain = bool(msg.retain)
        self.mid = msg.mid
        self.dup = bool(msg.dup)
        self.props = getattr(msg, "properties", None)

    def __repr__(self):
        extra = "" if self.props is None else " %s" % self.props
        return "<%r %r q%d r%d d%d%s>" % (self.topic, self.payload, self.qos, self.retain, self.dup, extra)


class Callbacks:
    """What one logical client observed, across its connections (like the Paho test's Callbacks)."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.messages = []
        self.subscribeds = []
        self.unsubscribeds = []
        self.disconnects = []

    def count(self):
        return len(self.messages)


class ConnectRefused(Exception):
    def __init__(self, reason):
        super().__init__("connect refused: %s" % reason)
        self.reason = reason


_open = []  # every live connection, so a failed test cannot leak one into the next


class Conn:
    """One network connection made with paho-mqtt, with a background network thread."""

    def __init__(self, harness, client_id, callbacks, v5):
        self.h = harness
        self.v5 = v5
        self.cb = callbacks if callbacks is not None else Callbacks()
        self.connack = None  # (session_present, reason code int, Properties or None)
        self._connack_event = threading.Event()
        self._closed = threading.Event()
        self._suback = {}
        self._unsuback = set()
        self.paused = False
        self.client_id = client_id

    def _make_client(self, clean_session):
        if self.v5:
            c = mqtt.Client(client_id=self.client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        else:
            c = mqtt.Client(
                client_id=self.client_id,
                clean_session=clean_session,
                protocol=mqtt.MQTTv311,
                reconnect_on_failure=False,
            )
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_unsubscribe = self._on_unsubscribe
        c.on_disconnect = self._on_disconnect
        return c

    # callbacks run on paho's network thread
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        code = rc.value if hasattr(rc, "value") else int(rc)
        self.connack = (bool(flags.get("session present")), code, properties)
        self._connack_event.set()

    def _on_message(self, client, userdata, msg):
        self.cb.messages.append(Message(msg))

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        codes = [g.value if hasattr(g, "value") else int(g) for g in granted]
        self.cb.subscribeds.append((mid, codes))
        self._suback[mid] = codes

    def _on_unsubscribe(self, client, userdata, mid, properties=None, reasons=None):
        self.cb.unsubscribeds.append(mid)
        self._unsuback.add(mid)

    def _on_disconnect(self, client, userdata, rc, properties=None):
        code = rc.value if hasattr(rc, "value") else rc
        self.cb.disconnects.append({"reasonCode": code, "properties": properties})
        self._closed.set()
        self._connack_event.set()

    def open(self, clean=True, keepalive=60, properties=None, will=None):
        self.client = self._make_client(clean)
        if will is not None:
            self.client.will_set(
                will["topic"],
                will.get("payload"),
                will.get("qos", 0),
                will.get("retain", False),
                properties=will.get("properties"),
            )
        if self.v5:
            self.client.connect(
                self.h.host, self.h.port, keepalive=keepalive, clean_start=clean, properties=properties
            )
        else:
            self.client.connect(self.h.host, self.h.port, keepalive=keepalive)
        self.client.loop_start()
        _open.append(self)
        if not self._connack_event.wait(WAIT) or self.connack is None:
            self.terminate()
            raise ConnectRefused("no CONNACK")
        if self.connack[1] != 0:
            self.terminate()
            raise ConnectRefused(self.connack[1])
        return self.connack

    @property
    def session_present(self):
        return self.connack[0]

    @property
    def connack_props(self):
        return self.connack[2]

    def subscribe(self, filters, qos_or_options, properties=None):
        """Subscribes and waits for the SUBACK; returns its list of return/reason codes."""
        opts = qos_or_options
        if not isinstance(opts, list):
            opts = [opts] * len(filters)
        if self.v5:
            opts = [o if isinstance(o, SubscribeOptions) else SubscribeOptions(o) for o in opts]
            pairs = list(zip(filters, opts))
            rc, mid = self.client.subscribe(pairs, properties=properties)
        else:
            rc, mid = self.client.subscribe(list(zip(filters, opts)))
        check(rc == mqtt.MQTT_ERR_SUCCESS, "subscribe not sent: rc %s" % rc)
        check(wait_until(lambda: mid in self._suback), "no SUBACK for %s" % filters)
        return self._suback[mid]

    def unsubscribe(self, filters):
        rc, mid = self.client.unsubscribe(filters)
        check(rc == mqtt.MQTT_ERR_SUCCESS, "unsubscribe not sent: rc %s" % rc)
        check(wait_until(lambda: mid in self._unsuback), "no UNSUBACK for %s" % filters)

    def publish(self, topic, payload, qos=0, retain=False, properties=None, wait=True):
        """Publishes and (by default) waits until the QoS flow is complete (PUBACK / PUBCOMP)."""
        info = self.client.publish(topic, payload, qos, retain, properties=properties)
        check(info.rc == mqtt.MQTT_ERR_SUCCESS, "publish not sent: rc %s" % info.rc)
        if wait:
            info.wait_for_publish(WAIT)
            check(info.is_published(), "publish to %r (QoS %d) not completed" % (topic, qos))
        return info

    def disconnect(self, reasoncode=None, properties=None):
        """Normal DISCONNECT, then waits for the network thread to finish."""
        if self._closed.is_set():
            self._stop()
            return
        if self.v5 and (reasoncode is not None or properties is not None):
            from paho.mqtt.reasoncodes import ReasonCodes

            rc = ReasonCodes(PacketTypes.DISCONNECT, identifier=reasoncode or 0)
            self.client.disconnect(reasoncode=rc, properties=properties)
        else:
            self.client.disconnect()
        wait_until(self._closed.is_set)
        self._stop()

    def pause(self):
        """Stops the network thread with the socket left open: no reads, acks or PINGREQs."""
        self.client.loop_stop()
        self.paused = True

    def terminate(self):
        """Closes the TCP connection abruptly, without DISCONNECT (the will must be published)."""
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._stop()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def wait_closed(self, timeout=WAIT):
        return self._closed.wait(timeout)

    def _stop(self):
        if not self.paused:
            t = threading.Thread(target=self.client.loop_stop, daemon=True)
            t.start()
            t.join(WAIT)
        self.paused = True
        if self in _open:
            _open.remove(self)


# ---------------------------------------------------------------------------------------------
# Raw socket client: only for steps a client library will not take on purpose

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14


def _varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n > 0 else 0))
        if n == 0:
            return bytes(out)


def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _props_bytes(p, v5):
    if not v5:
        return b""
    if p is None:
        return b"\x00"
    if isinstance(p, (bytes, bytearray)):
        return _varint(len(p)) + bytes(p)
    return p.pack()


class Packet:
    def __init__(self, ptype, flags, body, v5):
        self.type, self.flags, self.body, self.v5 = ptype, flags, body, v5

    def __repr__(self):
        return "<packet type %d flags %d %r>" % (self.type, self.flags, self.body[:40])

    # PUBLISH
    @property
    def qos(self):
        return (self.flags >> 1) & 3

    @property
    def dup(self):
        return bool(self.flags & 8)

    @property
    def retain(self):
        return bool(self.flags & 1)

    def publish(self):
        """(topic, packet id or None, Properties or None, payload)"""
        (tlen,) = struct.unpack("!H", self.body[:2])
        topic = self.body[2 : 2 + tlen].decode("utf-8")
        pos = 2 + tlen
        pid = None
        if self.qos > 0:
            (pid,) = struct.unpack("!H", self.body[pos : pos + 2])
            pos += 2
        p = None
        if self.v5:
            p = Properties(PacketTypes.PUBLISH)
            _, used = p.unpack(self.body[pos:])
            pos += used
        return topic, pid, p, self.body[pos:]

    def packet_id(self):
        return struct.unpack("!H", self.body[:2])[0]

    def reason_code(self):
        """Reason code of a v5 ack/DISCONNECT (absent means 0), or a CONNACK return code."""
        if self.type == CONNACK:
            return self.body[1]
        if self.type == DISCONNECT:
            return self.body[0] if len(self.body) > 0 else 0
        return self.body[2] if len(self.body) > 2 else 0

    def connack_props(self):
        p = Properties(PacketTypes.CONNACK)
        if self.v5 and len(self.body) > 2:
            p.unpack(self.body[2:])
        return p


class RawClient:
    def __init__(self, harness, v5=True):
        self.v5 = v5
        self.sock = socket.create_connection((harness.host, harness.port), timeout=WAIT)
        self.buf = b""
        self.closed = False

    def send(self, data):
        self.sock.sendall(data)

    def _frame(self, first, body):
        return bytes([first]) + _varint(len(body)) + body

    def connect(self, client_id, clean=True, keepalive=60, properties=None, protocol_name="MQTT", version=None):
        version = version or (5 if self.v5 else 4)
        flags = 0x02 if clean else 0
        body = _str(protocol_name) + bytes([version, flags]) + struct.pack("!H", keepalive)
        body += _props_bytes(properties, self.v5) + _str(client_id)
        self.send(self._frame(0x10, body))

    def connect_ok(self, client_id, **kw):
        self.connect(client_id, **kw)
        ack = self.recv()
        check(ack is not None and ack.type == CONNACK, "expected CONNACK, got %r" % ack)
        check(ack.reason_code() == 0, "CONNACK refused: 0x%02x" % ack.reason_code())
        return ack

    def subscribe(self, pid, filters, properties=None):
        body = struct.pack("!H", pid) + _props_bytes(properties, self.v5)
        for f, opts in filters:
            body += _str(f) + bytes([opts])
        self.send(self._frame(0x82, body))

    def publish(self, topic, payload, qos=0, pid=None, retain=False, properties=None, dup=False):
        first = 0x30 | (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
        body = _str(topic) + (struct.pack("!H", pid) if qos > 0 else b"")
        body += _props_bytes(properties, self.v5) + (payload.encode() if isinstance(payload, str) else payload)
        self.send(self._frame(first, body))

    def ack(self, ptype, pid):
        first = {PUBACK: 0x40, PUBREC: 0x50, PUBREL: 0x62, PUBCOMP: 0x70}[ptype]
        self.send(self._frame(first, struct.pack("!H", pid)))

    def disconnect(self, reason=0):
        self.send(self._frame(0xE0, bytes([reason]) if self.v5 and reason else b""))
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _try_parse(self):
        """A complete packet at the head of the buffer, consumed; None while one is incomplete."""
        length, mult, pos = 0, 1, 1
        while True:
            if pos >= len(self.buf):
                return None
            b = self.buf[pos]
            length += (b & 0x7F) * mult
            mult *= 128
            pos += 1
            if not b & 0x80:
                break
        if len(self.buf) < pos + length:
            return None
        first, body = self.buf[0], self.buf[pos : pos + length]
        self.buf = self.buf[pos + length :]
        return Packet(first >> 4, first & 0x0F, body, self.v5)

    def recv(self, timeout=WAIT):
        """Next packet, None on timeout; raises EOFError when the server closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            packet = self._try_parse()
            if packet is not None:
                return packet
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.closed = True
                raise EOFError()
            self.buf += chunk

    def recv_until_closed(self, timeout=WAIT):
        """Packets received until the server closes the connection; None if it stays open."""
        packets = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                p = self.recv(max(0.0, deadline - time.monotonic()))
                if p is not None:
                    packets.append(p)
        except EOFError:
            return packets
        return None


def publish_without_acking_deliveries(raw, filter_, publications):
    """Subscribes and publishes QoS 1/2 on `raw`, completing its own flows but never acknowledging
    the deliveries it receives (the Paho test's paused client). Returns the deliveries seen."""
    raw.subscribe(1, [(filter_, 2)])
    pid = 10
    pending = set()
    for topic, qos in publications:
        pid += 1
        raw.publish(topic, b"", qos, pid)
        pending.add(pid)
    deliveries = []
    deadline = time.monotonic() + WAIT
    while (pending or len(deliveries) < len(publications)) and time.monotonic() < deadline:
        p = raw.recv(max(0.0, deadline - time.monotonic()))
        if p is None:
            break
        if p.type == PUBLISH:  # PUBLISH towards us: deliberately left unacknowledged
            deliveries.append(p)
        elif p.type == PUBREC:  # PUBREC for our QoS 2 publish
            raw.ack(PUBREL, p.packet_id())
        elif p.type in (PUBACK, PUBCOMP):  # PUBACK / PUBCOMP
            pending.discard(p.packet_id())
    check(not pending, "own publications not acknowledged: %s" % pending)
    return deliveries


# ---------------------------------------------------------------------------------------------
# Runner


class Harness:
    def __init__(self, host, port, v5):
        self.host, self.port, self.v5 = host, port, v5

    def client(self, client_id, callbacks=None):
        return Conn(self, client_id, callbacks, self.v5)

    def raw(self):
        return RawClient(self, self.v5)


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description, add_help=False)
    parser.add_argument("--help", action="help")
    parser.add_argument("-h", "--hostname", default=os.environ.get("MQTT_HOST", "localhost"))
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MQTT_PORT", "1883")))
    parser.add_argument("-t", "--test", action="append", default=[], help="run only these tests (repeatable)")
    parser.add_argument("-x", "--skip", action="append", default=[], help="skip these tests (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def run_tests(tests, args, setup):
    """Runs each test function, one line per test, then `N passed, N failed`; returns exit code."""
    selected = [t for t in tests if (not args.test or t.__name__ in args.test) and t.__name__ not in args.skip]
    passed = failed = 0
    try:
        setup()
    except Exception as exc:  # noqa: BLE001 - report and stop
        print("setup failed: %s" % exc)
        traceback.print_exc()
        print("0 passed, %d failed" % len(selected))
        return 1
    for test in selected:
        start = time.monotonic()
        try:
            note = test()
            passed += 1
            extra = "" if not note else " (%s)" % note
            print("%s: passed in %.1fs%s" % (test.__name__, time.monotonic() - start, extra), flush=True)
        except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
            failed += 1
            took = time.monotonic() - start
            print("%s: FAILED in %.1fs: %s: %s" % (test.__name__, took, type(exc).__name__, exc), flush=True)
            if args.verbose:
                traceback.print_exc()
        finally:
            for conn in list(_open):
                conn.terminate()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


def main(tests, description, setup_factory, extra=None):
    args = parse_args(description, extra)
    sys.exit(run_tests(tests, args, setup_factory(args)))
