#!/usr/bin/python3
"""MQTT 3.1.1 interoperability checks in the manner of Eclipse paho.mqtt.testing
interoperability/client_test.py: the same scenarios, topics and client ids, re-implemented on the
Paho Python client (python3-paho-mqtt) with a raw socket for the deliberately broken steps.

    /usr/bin/python3 test/interop/client_test.py -h 127.0.0.1 -p 1883 [-t test_name] [-v]

The broker must refuse subscriptions to the filter given by -n (default "nosubscribe"), e.g. with
an ACL; see docs/interop.md.
"""

import time

from interop_harness import (
    CONNACK,
    QUIET,
    TOPICS,
    WILDTOPICS,
    Callbacks,
    Harness,
    check,
    main,
    publish_without_acking_deliveries,
    wait_until,
)

h = None  # Harness, set in setup
args = None
callback = Callbacks()
callback2 = Callbacks()


def aclient():
    return h.client("myclientid", callback)


def bclient():
    return h.client("myclientid2", callback2)


def clean_retained():
    cb = Callbacks()
    c = h.client("clean retained", cb)
    c.open(clean=True)
    c.subscribe(["#"], 0)
    time.sleep(QUIET)  # retained messages arrive right after the SUBACK
    for m in cb.messages:
        if m.retain:
            c.publish(m.topic, b"", 0, retain=True)
    c.disconnect()


def cleanup():
    for client_id in ("myclientid", "myclientid2"):
        c = h.client(client_id)
        c.open(clean=True)
        c.disconnect()
    clean_retained()


def basic_test():
    callback.clear()
    a = aclient()
    a.open()
    a.disconnect()

    a = aclient()
    a.open()
    a.subscribe([TOPICS[0]], 2)
    a.publish(TOPICS[0], b"qos 0", 0)
    a.publish(TOPICS[0], b"qos 1", 1)
    a.publish(TOPICS[0], b"qos 2", 2)
    wait_until(lambda: callback.count() >= 3)
    a.disconnect()
    check(callback.count() == 3, "expected 3 messages, got %s" % callback.messages)
    # [MQTT-3.8.4-6] delivered at min(published QoS, granted QoS)
    check(sorted(m.qos for m in callback.messages) == [0, 1, 2], callback.messages)

    # [MQTT-3.1.0-2] a second CONNECT is a protocol violation: the server closes the connection
    raw = h.raw()
    raw.connect_ok("myclientid")
    raw.connect("myclientid")
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after a second CONNECT")

    # [MQTT-3.1.2-1] wrong protocol name: the connection must not be accepted
    raw = h.raw()
    raw.connect("myclientid", protocol_name="hj")
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after CONNECT with protocol name 'hj'")
    check(
        not any(p.type == CONNACK and p.reason_code() == 0 for p in after),
        "CONNACK 0 for protocol name 'hj'",
    )


def retained_message_test():
    callback.clear()
    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[1], b"qos 0", 0, retain=True)
    a.publish(TOPICS[2], b"qos 1", 1, retain=True)
    a.publish(TOPICS[3], b"qos 2", 2, retain=True)
    a.subscribe([WILDTOPICS[5]], 2)
    wait_until(lambda: callback.count() >= 3)
    time.sleep(QUIET)
    a.disconnect()
    check(callback.count() == 3, "expected 3 retained messages, got %s" % callback.messages)
    check(all(m.retain for m in callback.messages), "[MQTT-3.3.1-8] RETAIN must be 1: %s" % callback.messages)
    check(sorted(m.qos for m in callback.messages) == [0, 1, 2], callback.messages)

    # an empty retained payload removes the retained message [MQTT-3.3.1-10]
    callback.clear()
    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[1], b"", 0, retain=True)
    a.publish(TOPICS[2], b"", 1, retain=True)
    a.publish(TOPICS[3], b"", 2, retain=True)
    a.subscribe([WILDTOPICS[5]], 2)
    time.sleep(QUIET)
    a.disconnect()
    check(callback.count() == 0, "retained messages not cleared: %s" % callback.messages)


def offline_message_queueing_test():
    callback.clear()
    a = aclient()
    a.open(clean=False)
    a.subscribe([WILDTOPICS[5]], 2)
    a.disconnect()

    b = bclient()
    b.open(clean=True)
    b.publish(TOPICS[1], b"qos 0", 0)
    b.publish(TOPICS[2], b"qos 1", 1)
    b.publish(TOPICS[3], b"qos 2", 2)
    b.disconnect()

    a = aclient()
    a.open(clean=False)
    check(a.session_present, "[MQTT-3.2.2-2] session present must be 1")
    wait_until(lambda: callback.count() >= 2)
    time.sleep(QUIET)
    a.disconnect()
    aclient().open(clean=True)  # discard the session again
    check(callback.count() in (2, 3), "expected 2 or 3 queued messages, got %s" % callback.messages)
    return "QoS 0 %squeued for offline clients" % ("" if callback.count() == 3 else "not ")


def will_message_test():
    callback2.clear()
    a = aclient()
    a.open(clean=True, keepalive=2, will={"topic": TOPICS[2], "payload": b"client not disconnected", "qos": 2})
    b = bclient()
    b.open(clean=False)
    b.subscribe([TOPICS[2]], 2)
    a.terminate()
    wait_until(lambda: callback2.count() >= 1)
    b.disconnect()
    check(callback2.count() == 1, "expected the will message, got %s" % callback2.messages)
    m = callback2.messages[0]
    check(m.topic == TOPICS[2] and m.payload == b"client not disconnected", m)


def overlapping_subscriptions_test():
    callback.clear()
    a = aclient()
    a.open()
    a.subscribe([WILDTOPICS[6], WILDTOPICS[0]], [2, 1])
    a.publish(TOPICS[3], b"overlapping topic filters", 2)
    wait_until(lambda: callback.count() >= 1)
    time.sleep(QUIET)
    a.disconnect()
    qos = sorted(m.qos for m in callback.messages)
    check(qos in ([2], [1, 2]), "expected one message at QoS 2 or one per subscription: %s" % callback.messages)
    return "one message per %s" % ("client" if len(qos) == 1 else "subscription")


def keepalive_test():
    callback2.clear()
    a = aclient()
    start = time.monotonic()
    a.open(clean=True, keepalive=5, will={"topic": TOPICS[4], "payload": b"keepalive expiry", "qos": 2})
    b = bclient()
    b.open(clean=True, keepalive=0)
    b.subscribe([TOPICS[4]], 2)
    a.pause()  # no more packets from a, not even PINGREQ
    wait_until(lambda: callback2.count() >= 1, timeout=15)
    elapsed = time.monotonic() - start
    b.disconnect()
    a.terminate()
    check(callback2.count() == 1, "[MQTT-3.1.2-24] no will after keepalive expiry: %s" % callback2.messages)
    check(elapsed >= 5, "disconnected after %.1fs, before the 5 s keepalive" % elapsed)
    return "will after %.1fs" % elapsed


def redelivery_on_reconnect_test():
    callback2.clear()
    raw = h.raw()
    raw.connect_ok("myclientid2", clean=False)
    seen = publish_without_acking_deliveries(raw, WILDTOPICS[6], [(TOPICS[1], 1), (TOPICS[3], 2)])
    raw.disconnect()
    check(len(seen) == 2, "expected 2 unacknowledged deliveries before reconnecting, got %d" % len(seen))

    b = bclient()
    b.open(clean=False)
    wait_until(lambda: callback2.count() >= 2)
    time.sleep(QUIET)
    b.disconnect()
    bclient().open(clean=True)
    check(callback2.count() == 2, "[MQTT-4.4.0-1] expected 2 redelivered messages, got %s" % callback2.messages)
    check(all(m.dup for m in callback2.messages), "[MQTT-3.3.1-1] DUP must be 1: %s" % callback2.messages)


def zero_length_clientid_test():
    # [MQTT-3.1.3-8] empty client id with CleanSession=0: CONNACK 0x02, then close
    raw = h.raw()
    raw.connect("", clean=False)
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after empty client id with CleanSession=0")
    codes = [p.reason_code() for p in after if p.type == CONNACK]
    check(codes == [2], "expected CONNACK 0x02 (identifier rejected), got %s" % codes)
    # [MQTT-3.1.3-6] empty client id with CleanSession=1 is accepted
    c = h.client("")
    c.open(clean=True)
    c.disconnect()


def subscribe_failure_test():
    callback.clear()
    a = aclient()
    a.open()
    codes = a.subscribe([args.nosubscribe_topic_filter], 2)
    a.disconnect()
    check(codes == [0x80], "[MQTT-3.9.3-2] return code should be 0x80: %s" % codes)


def dollar_topics_test():
    callback2.clear()
    b = bclient()
    b.open(clean=True, keepalive=0)
    b.subscribe([WILDTOPICS[5]], 2)
    time.sleep(QUIET)  # any retained messages
    callback2.clear()
    b.publish("$" + TOPICS[1], b"", 1)
    time.sleep(QUIET)
    b.disconnect()
    check(callback2.count() == 0, "[MQTT-4.7.2-1] '+/+' matched a $ topic: %s" % callback2.messages)


TESTS = [
    basic_test,
    retained_message_test,
    offline_message_queueing_test,
    will_message_test,
    overlapping_subscriptions_test,
    keepalive_test,
    redelivery_on_reconnect_test,
    zero_length_clientid_test,
    subscribe_failure_test,
    dollar_topics_test,
]


def extra_args(parser):
    parser.add_argument("-n", "--nosubscribe_topic_filter", default="nosubscribe")


def setup_factory(parsed):
    def setup():
        global h, args
        args = parsed
        h = Harness(parsed.hostname, parsed.port, v5=False)
        print("hostname %s port %d (MQTT 3.1.1, paho-mqtt)" % (parsed.hostname, parsed.port), flush=True)
        cleanup()

    return setup


if __name__ == "__main__":
    main(TESTS, "MQTT 3.1.1 interoperability tests", setup_factory, extra_args)
