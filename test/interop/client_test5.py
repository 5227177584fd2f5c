#!/usr/bin/python3
"""MQTT 5.0 interoperability checks in the manner of Eclipse paho.mqtt.testing
interoperability/client_test5.py: the same scenarios, topics, client ids and timings,
re-implemented on the Paho Python client (python3-paho-mqtt, MQTTv5) with a raw socket for the
steps a client library will not take on purpose (Topic Alias 0, withheld acknowledgements).

    /usr/bin/python3 test/interop/client_test5.py -h 127.0.0.1 -p 1883 [-t test_name] [-v]

Broker set-up expected (as the Paho test broker): subscriptions to "test/nosubscribe" refused,
Server Keep Alive 60 for a client asking 120 (--server-keep-alive 0 skips that check).
"""

import time

from interop_harness import (
    CONNACK,
    DISCONNECT,
    PUBACK,
    PUBLISH,
    PUBREC,
    PUBREL,
    QUIET,
    SUBACK,
    TOPICS,
    WAIT,
    WILDTOPICS,
    Callbacks,
    Harness,
    PacketTypes,
    SubscribeOptions,
    check,
    main,
    props,
    publish_without_acking_deliveries,
    wait_until,
)

h = None
args = None
callback = Callbacks()
callback2 = Callbacks()
TOPIC_PREFIX = "client_test5/"
USER_PROPS = [("a", "2"), ("c", "3")]


def aclient():
    return h.client("myclientid", callback)


def bclient():
    return h.client("myclientid2", callback2)


def S(qos, **kw):
    return SubscribeOptions(qos, **kw)


def connect_props(**kw):
    return props(PacketTypes.CONNECT, **kw)


def publish_props(**kw):
    return props(PacketTypes.PUBLISH, **kw)


def clean_retained():
    cb = Callbacks()
    c = h.client("clean retained", cb)
    c.open(clean=True)
    c.subscribe(["#"], S(0))
    time.sleep(QUIET)
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


def check_user_props(messages):
    for m in messages:
        got = getattr(m.props, "UserProperty", None)
        # Paho accepts either order; the spec requires the order to be kept [MQTT-3.3.2-18].
        check(got == USER_PROPS, "[MQTT-3.3.2-17/18] user properties %r on %r" % (got, m))


def test_basic():
    callback.clear()
    a = aclient()
    a.open()
    a.disconnect()
    a = aclient()
    _, rc, _ = a.open()
    check(rc == 0, "CONNACK reason 0x%02x" % rc)
    a.subscribe([TOPICS[0]], S(2))
    a.publish(TOPICS[0], b"qos 0")
    a.publish(TOPICS[0], b"qos 1", 1)
    a.publish(TOPICS[0], b"qos 2", 2)
    wait_until(lambda: callback.count() >= 3)
    a.disconnect()
    check(callback.count() == 3, callback.messages)

    # [MQTT-3.1.0-2] second CONNECT: DISCONNECT 0x82 (protocol error) and close
    raw = h.raw()
    raw.connect_ok("myclientid")
    raw.connect("myclientid")
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after a second CONNECT")
    codes = [p.reason_code() for p in after if p.type == DISCONNECT]
    check(codes in ([], [0x82]), "DISCONNECT after second CONNECT: %s" % codes)

    # [MQTT-3.1.2-1] wrong protocol name: not accepted, connection closed
    raw = h.raw()
    raw.connect("myclientid", protocol_name="hj")
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after protocol name 'hj'")
    check(not any(p.type == CONNACK and p.reason_code() == 0 for p in after), "CONNACK success for 'hj'")


def test_retained_message():
    callback.clear()
    pp = publish_props(UserProperty=USER_PROPS)
    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[1], b"qos 0", 0, retain=True, properties=pp)
    a.publish(TOPICS[2], b"qos 1", 1, retain=True, properties=pp)
    a.publish(TOPICS[3], b"qos 2", 2, retain=True, properties=pp)
    a.subscribe([WILDTOPICS[5]], S(2))
    wait_until(lambda: callback.count() >= 3)
    time.sleep(QUIET)
    a.disconnect()
    check(callback.count() == 3, callback.messages)
    check_user_props(callback.messages)
    check(sorted(m.qos for m in callback.messages) == [0, 1, 2], callback.messages)
    check(all(m.retain for m in callback.messages), "[MQTT-3.3.1-8] RETAIN must be 1")
    clean_retained()


def test_will_message():
    callback.clear()
    callback2.clear()
    will_props = props(PacketTypes.WILLMESSAGE, WillDelayInterval=0, UserProperty=USER_PROPS)
    a = aclient()
    a.open(
        clean=True,
        keepalive=2,
        will={"topic": TOPICS[2], "payload": b"will message", "qos": 2, "properties": will_props},
    )
    b = bclient()
    b.open(clean=False)
    b.subscribe([TOPICS[2]], S(2))
    a.pause()  # silent from now on: the keepalive timeout must publish the will
    wait_until(lambda: callback2.count() >= 1, timeout=10)
    b.disconnect()
    a.terminate()
    check(callback2.count() == 1, "expected the will message: %s" % callback2.messages)
    check_user_props(callback2.messages)


def test_zero_length_clientid():
    c = h.client("")
    c.open(clean=False)  # v5: the server assigns an id [MQTT-3.1.3-7]
    c.disconnect()
    c = h.client("")
    c.open(clean=True)
    c.disconnect()


def test_offline_message_queueing():
    callback.clear()
    callback2.clear()
    a = aclient()
    a.open(clean=True, properties=connect_props(SessionExpiryInterval=99999))
    a.subscribe([WILDTOPICS[5]], S(2))
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
    check(callback.count() in (2, 3), callback.messages)
    return "QoS 0 %squeued for offline clients" % ("" if callback.count() == 3 else "not ")


def test_overlapping_subscriptions():
    callback.clear()
    callback2.clear()
    a = aclient()
    a.open()
    a.subscribe([WILDTOPICS[6], WILDTOPICS[0]], [S(2), S(1)])
    a.publish(TOPICS[3], b"overlapping topic filters", 2)
    wait_until(lambda: callback.count() >= 1)
    time.sleep(QUIET)
    a.disconnect()
    qos = sorted(m.qos for m in callback.messages)
    check(qos in ([2], [1, 2]), callback.messages)
    return "one message per %s" % ("client" if len(qos) == 1 else "subscription")


def test_keepalive():
    callback2.clear()
    start = time.monotonic()
    a = aclient()
    a.open(clean=True, keepalive=5, will={"topic": TOPICS[4], "payload": b"keepalive expiry", "qos": 2})
    b = bclient()
    b.open(clean=True, keepalive=0)
    b.subscribe([TOPICS[4]], S(2))
    a.pause()
    wait_until(lambda: callback2.count() >= 1, timeout=15)
    elapsed = time.monotonic() - start
    b.disconnect()
    a.terminate()
    check(callback2.count() == 1, "[MQTT-3.1.2-22] expected the will: %s" % callback2.messages)
    check(elapsed >= 5, "disconnected after %.1fs, before the 5 s keepalive" % elapsed)
    return "will after %.1fs" % elapsed


def test_redelivery_on_reconnect():
    callback.clear()
    callback2.clear()
    cp = connect_props(SessionExpiryInterval=99999)
    raw = h.raw()
    raw.connect_ok("myclientid2", clean=False, properties=cp)
    seen = publish_without_acking_deliveries(raw, WILDTOPICS[6], [(TOPICS[1], 1), (TOPICS[3], 2)])
    raw.disconnect()
    check(len(seen) == 2, "expected 2 unacknowledged deliveries, got %d" % len(seen))
    b = bclient()
    b.open(clean=False, properties=cp)
    wait_until(lambda: callback2.count() >= 2)
    time.sleep(QUIET)
    b.disconnect()
    bclient().open(clean=True)
    check(callback2.count() == 2, "[MQTT-4.4.0-1] expected 2 redeliveries: %s" % callback2.messages)
    check(all(m.dup for m in callback2.messages), "[MQTT-3.3.1-1] DUP must be 1: %s" % callback2.messages)


def test_subscribe_failure():
    callback.clear()
    a = aclient()
    a.open()
    codes = a.subscribe([args.nosubscribe_topic_filter], S(2))
    a.disconnect()
    refused = len(codes) == 1 and codes[0] >= 0x80
    check(refused, "SUBACK should refuse %s: %s" % (args.nosubscribe_topic_filter, codes))
    if codes[0] != 0x80:
        return "reason 0x%02x; the Paho suite asserts exactly 0x80" % codes[0]
    return None


def test_dollar_topics():
    callback2.clear()
    b = bclient()
    b.open(clean=True, keepalive=0)
    b.subscribe([WILDTOPICS[5]], S(2))
    time.sleep(QUIET)
    callback2.clear()
    b.publish("$" + TOPICS[1], b"", 1)
    time.sleep(QUIET)
    b.disconnect()
    check(callback2.count() == 0, "[MQTT-4.7.2-1] %s" % callback2.messages)


def test_unsubscribe():
    callback2.clear()
    b = bclient()
    b.open(clean=True)
    b.subscribe([TOPICS[0]], S(2))
    b.subscribe([TOPICS[1]], S(2))
    b.subscribe([TOPICS[2]], S(2))
    time.sleep(QUIET)
    b.unsubscribe([TOPICS[0]])
    callback2.clear()
    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[0], b"topic 0 - unsubscribed", 1)
    a.publish(TOPICS[1], b"topic 1", 1)
    a.publish(TOPICS[2], b"topic 2", 1)
    wait_until(lambda: callback2.count() >= 2)
    time.sleep(QUIET)
    b.disconnect()
    a.disconnect()
    check(callback2.count() == 2, callback2.messages)


def _reconnect_present(cp, clean):
    a = aclient()
    _, rc, _ = a.open(clean=clean, properties=cp)
    check(rc == 0, "CONNACK 0x%02x" % rc)
    return a, a.session_present


def test_session_expiry():
    cp = connect_props(SessionExpiryInterval=0)
    a, present = _reconnect_present(cp, True)
    check(not present, "session present on clean start")
    a.subscribe([TOPICS[0]], S(2))
    a.disconnect()
    a, present = _reconnect_present(cp, False)
    check(not present, "[MQTT-3.1.2-23] expiry 0: the session must end with the connection")
    a.disconnect()

    cp = connect_props(SessionExpiryInterval=5)
    a, present = _reconnect_present(cp, True)
    a.subscribe([TOPICS[0]], S(2))
    a.disconnect()
    time.sleep(2)
    a, present = _reconnect_present(cp, False)
    check(present, "session gone 2 s into a 5 s expiry")
    a.disconnect()
    time.sleep(6)
    a, present = _reconnect_present(cp, False)
    check(not present, "session still present 6 s after a 5 s expiry")
    a.disconnect()

    cp = connect_props(SessionExpiryInterval=1)
    a, present = _reconnect_present(cp, True)
    a.subscribe([TOPICS[0]], S(2))
    a.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=5))  # [MQTT-3.14.2-2]
    time.sleep(3)
    a, present = _reconnect_present(cp, False)
    check(present, "DISCONNECT Session Expiry Interval 5 not honoured")
    a.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
    a, present = _reconnect_present(cp, False)
    check(not present, "DISCONNECT Session Expiry Interval 0 not honoured")
    a.disconnect()


def _publish_three_and_collect(pp):
    callback.clear()
    a = aclient()
    a.open(clean=True)
    a.subscribe([TOPICS[0]], S(2))
    for qos in range(3):
        a.publish(TOPICS[0], b"", qos, properties=pp)
    wait_until(lambda: callback.count() >= 3)
    a.disconnect()
    check(callback.count() == 3, callback.messages)
    check(sorted(m.qos for m in callback.messages) == [0, 1, 2], callback.messages)


def test_user_properties():
    _publish_three_and_collect(publish_props(UserProperty=USER_PROPS))
    check_user_props(callback.messages)


def test_payload_format():
    _publish_three_and_collect(publish_props(PayloadFormatIndicator=1, ContentType="My name"))
    for m in callback.messages:
        check(getattr(m.props, "ContentType", None) == "My name", "[MQTT-3.3.2-20] %r" % m)
        check(getattr(m.props, "PayloadFormatIndicator", None) == 1, "[MQTT-3.3.2-4] %r" % m)


def test_publication_expiry():
    callback.clear()
    callback2.clear()
    b = bclient()
    b.open(clean=True, properties=connect_props(SessionExpiryInterval=99999))
    b.subscribe([TOPICS[0]], S(2))
    b.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=999999999))

    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[0], b"qos 1 - expire", 1, properties=publish_props(MessageExpiryInterval=1))
    a.publish(TOPICS[0], b"qos 2 - expire", 2, properties=publish_props(MessageExpiryInterval=1))
    a.publish(TOPICS[0], b"qos 1 - don't expire", 1, properties=publish_props(MessageExpiryInterval=6))
    a.publish(TOPICS[0], b"qos 2 - don't expire", 2, properties=publish_props(MessageExpiryInterval=6))
    time.sleep(3)
    b = bclient()
    b.open(clean=False)
    wait_until(lambda: callback2.count() >= 2)
    time.sleep(QUIET)
    b.disconnect()
    a.disconnect()
    check(callback2.count() == 2, "[MQTT-3.3.2-5] expired messages delivered: %s" % callback2.messages)
    for m in callback2.messages:
        left = getattr(m.props, "MessageExpiryInterval", None)
        check(left is not None and 0 < left < 6, "[MQTT-3.3.2-6] remaining expiry %r on %r" % (left, m))


def _subscribe_options_no_local():
    a, b = aclient(), bclient()
    a.open(clean=True)
    b.open(clean=True)
    a.subscribe([TOPICS[0]], S(2, noLocal=True))
    b.subscribe([TOPICS[0]], S(2, noLocal=True))
    a.publish(TOPICS[0], b"noLocal test", 1)
    wait_until(lambda: callback2.count() >= 1)
    time.sleep(QUIET)
    a.disconnect()
    b.disconnect()
    check(callback.messages == [], "[MQTT-3.8.3-3] noLocal: own message delivered %s" % callback.messages)
    check(callback2.count() == 1, callback2.messages)


def _subscribe_options_retain_as_published():
    a = aclient()
    a.open(clean=True)
    a.subscribe([TOPICS[0]], S(2, retainAsPublished=True))
    a.publish(TOPICS[0], b"retain as published false", 1)
    a.publish(TOPICS[0], b"retain as published true", 1, retain=True)
    wait_until(lambda: callback.count() >= 2)
    time.sleep(QUIET)
    a.disconnect()
    check(callback.count() == 2, callback.messages)
    check([m.retain for m in callback.messages] == [False, True], "[MQTT-3.3.1-13] %s" % callback.messages)


def _subscribe_rh(a, rh, expected):
    callback.clear()
    a.subscribe([WILDTOPICS[5]], S(2, retainHandling=rh))
    if expected:
        wait_until(lambda: callback.count() >= expected)
    time.sleep(QUIET)
    got = callback.messages
    check(len(got) == expected, "retainHandling %d: expected %d, got %s" % (rh, expected, got))
    if expected:
        check(sorted(m.qos for m in callback.messages) == [0, 1, 2], callback.messages)


def test_subscribe_options():
    callback.clear()
    callback2.clear()
    _subscribe_options_no_local()
    callback.clear()
    callback2.clear()
    _subscribe_options_retain_as_published()

    a = aclient()
    a.open(clean=True)
    a.publish(TOPICS[1], b"qos 0", 0, retain=True)
    a.publish(TOPICS[2], b"qos 1", 1, retain=True)
    a.publish(TOPICS[3], b"qos 2", 2, retain=True)
    _subscribe_rh(a, 1, 3)  # [MQTT-3.3.1-10] new subscription: retained sent
    _subscribe_rh(a, 1, 0)  # existing subscription: not sent
    a.disconnect()
    a = aclient()
    a.open(clean=True)
    _subscribe_rh(a, 2, 0)  # [MQTT-3.3.1-11] never sent
    _subscribe_rh(a, 2, 0)
    a.disconnect()
    a = aclient()
    a.open(clean=True)
    _subscribe_rh(a, 0, 3)  # [MQTT-3.3.1-9] always sent
    _subscribe_rh(a, 0, 3)
    a.disconnect()
    clean_retained()


def test_assigned_clientid():
    c = h.client("")
    c.open(clean=True)
    c.disconnect()
    assigned = getattr(c.connack_props, "AssignedClientIdentifier", "")
    check(assigned != "", "[MQTT-3.2.2-16] no Assigned Client Identifier in CONNACK")


def test_subscribe_identifiers():
    callback.clear()
    callback2.clear()
    a = aclient()
    a.open(clean=True)
    a.subscribe([TOPICS[0]], S(2), properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=456789))
    b = bclient()
    b.open(clean=True)
    b.subscribe([TOPICS[0]], S(2), properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=2))
    b.subscribe([TOPICS[0] + "/#"], S(2), properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=3))
    b.publish(TOPICS[0], b"sub identifier test", 1)
    wait_until(lambda: callback.count() >= 1 and callback2.count() >= 1)
    time.sleep(QUIET)
    a.disconnect()
    b.disconnect()
    check(callback.count() == 1, callback.messages)
    check(getattr(callback.messages[0].props, "SubscriptionIdentifier", None) == [456789], callback.messages)
    check(callback2.count() == 1, "one copy expected for overlapping subscriptions: %s" % callback2.messages)
    ids = set(getattr(callback2.messages[0].props, "SubscriptionIdentifier", []))
    check(ids == {2, 3}, "[MQTT-3.3.4-4] subscription identifiers %s" % ids)


def test_request_response():
    callback.clear()
    callback2.clear()
    a, b = aclient(), bclient()
    a.open(clean=True)
    b.open(clean=True)
    a.subscribe([TOPICS[0]], S(2, noLocal=True))
    b.subscribe([TOPICS[0]], S(2, noLocal=True))
    request = publish_props(ResponseTopic=TOPICS[0], CorrelationData=b"334")
    a.publish(TOPICS[0], b"request", 1, properties=request)
    wait_until(lambda: callback2.count() >= 1)
    check(callback2.count() == 1, callback2.messages)
    req = callback2.messages[0].props
    check(getattr(req, "ResponseTopic", None) == TOPICS[0], "[MQTT-3.3.2-15] %s" % req)
    check(getattr(req, "CorrelationData", None) == b"334", "[MQTT-3.3.2-16] %s" % req)
    b.publish(req.ResponseTopic, b"response", 1, properties=req)
    wait_until(lambda: callback.count() >= 1)
    a.disconnect()
    b.disconnect()
    check(callback.count() == 1, callback.messages)


def test_client_topic_alias():
    # [MQTT-3.3.2-8] Topic Alias 0 is invalid: DISCONNECT 0x94 (paho-mqtt refuses to send it, so raw)
    raw = h.raw()
    raw.connect_ok("myclientid")
    raw.publish(TOPICS[0], b"topic alias 0", 1, pid=1, properties=b"\x23\x00\x00")
    after = raw.recv_until_closed()
    raw.close()
    check(after is not None, "connection still open after Topic Alias 0")
    codes = [p.reason_code() for p in after if p.type == DISCONNECT]
    check(codes == [0x94], "expected DISCONNECT 0x94 Topic Alias invalid, got %s" % codes)

    callback.clear()
    a = aclient()
    a.open(clean=True, properties=connect_props(TopicAliasMaximum=0, SessionExpiryInterval=99999))
    maximum = getattr(a.connack_props, "TopicAliasMaximum", 0)
    if maximum == 0:
        a.disconnect()
        return "server accepts no topic aliases"
    a.subscribe([TOPICS[0]], S(2))
    alias = publish_props(TopicAlias=1)
    a.publish(TOPICS[0], b"topic alias 1", 1, properties=alias)
    wait_until(lambda: callback.count() >= 1)
    check(callback.count() == 1, callback.messages)
    a.publish("", b"topic alias 2", 1, properties=alias)
    wait_until(lambda: callback.count() >= 2)
    check(callback.count() == 2, callback.messages)
    # the client allowed no aliases, so both arrive with the full topic [MQTT-3.3.2-12]
    plain = all(m.topic == TOPICS[0] and not hasattr(m.props, "TopicAlias") for m in callback.messages)
    check(plain, callback.messages)
    a.disconnect()

    # [MQTT-3.3.2-7] aliases do not survive the connection
    callback.clear()
    a = aclient()
    a.open(clean=False)
    a.publish(TOPICS[0], b"topic alias 3", 1)
    wait_until(lambda: callback.count() >= 1)
    check(callback.count() == 1, callback.messages)
    a.publish("", b"topic alias 4", 1, properties=publish_props(TopicAlias=1), wait=False)
    check(a.wait_closed(), "no DISCONNECT for an unknown topic alias")
    check(len(callback.disconnects) == 1, callback.disconnects)
    code = callback.disconnects[0]["reasonCode"]
    return "unknown alias: DISCONNECT %s" % code


def _three_aliased(cp):
    callback.clear()
    a = aclient()
    a.open(clean=True, properties=cp)
    a.subscribe([TOPICS[0]], S(2))
    for qos in range(3):
        a.publish(TOPICS[0], b"topic alias 1", qos)
    wait_until(lambda: callback.count() >= 3)
    a.disconnect()
    check(callback.count() == 3, callback.messages)
    return callback.messages


def test_server_topic_alias():
    msgs = _three_aliased(connect_props(TopicAliasMaximum=1))
    first = msgs[0]
    alias = getattr(first.props, "TopicAlias", None)
    check(alias is not None and alias > 0, "first message should set a topic alias: %r" % first)
    check(first.topic == TOPICS[0], first)
    for m in msgs[1:]:
        check(getattr(m.props, "TopicAlias", None) == alias and m.topic == "", "alias not reused: %r" % m)

    # [MQTT-3.3.2-12] no Topic Alias Maximum (default 0) / explicit 0: no aliases at all
    for cp in (connect_props(), connect_props(TopicAliasMaximum=0)):
        msgs = _three_aliased(cp)
        aliased = any(hasattr(m.props, "TopicAlias") for m in msgs)
        check(not aliased, "alias sent to a client allowing none: %s" % msgs)


def test_maximum_packet_size():
    callback.clear()
    a = aclient()
    a.open(clean=True)
    server_max = getattr(a.connack_props, "MaximumPacketSize", 2**28 - 1)
    note = "server maximum %d" % server_max
    if server_max < 65535:
        a.publish(TOPICS[0], b"." * server_max, 0, wait=False)
        check(a.wait_closed(), "no DISCONNECT for a packet above Maximum Packet Size")
        code = callback.disconnects[0]["reasonCode"] if callback.disconnects else None
        check(code == 0x95, "[MQTT-3.2.2-15] expected DISCONNECT 0x95 Packet too large, got %s" % code)
    else:
        a.disconnect()

    # [MQTT-3.1.2-25] the server must not send a packet above the client's Maximum Packet Size
    callback.clear()
    a = aclient()
    a.open(clean=True, properties=connect_props(MaximumPacketSize=64))
    a.subscribe([TOPICS[0]], S(2))
    a.publish(TOPICS[0], b"." * 32, 0)
    wait_until(lambda: callback.count() >= 1)
    check(callback.count() == 1, callback.messages)
    a.publish(TOPICS[0], b"." * 64, 1)
    time.sleep(QUIET)
    a.disconnect()
    check(callback.count() == 1, "oversized packet delivered: %s" % callback.messages)
    return note


def test_server_keep_alive():
    if args.server_keep_alive == 0:
        return "skipped (--server-keep-alive 0)"
    a = aclient()
    a.open(clean=True, keepalive=120)
    a.disconnect()
    got = getattr(a.connack_props, "ServerKeepAlive", None)
    expected = args.server_keep_alive
    check(got == expected, "[MQTT-3.2.2-21] Server Keep Alive %r, expected %d" % (got, expected))


def test_flow_control1():
    raw = h.raw()
    raw.connect_ok("myclientid", properties=connect_props(ReceiveMaximum=2, SessionExpiryInterval=0))
    raw.subscribe(1, [(TOPICS[0], 2)])
    ack = raw.recv()
    check(ack is not None and ack.type == SUBACK, "expected SUBACK, got %r" % ack)
    for pid in (1, 2, 3):
        raw.publish(TOPICS[0], "message %d" % pid, 1, pid=pid)
    acks, deliveries = 0, []
    while acks < 3 or len(deliveries) < 2:
        p = raw.recv()
        check(p is not None, "timed out: %d PUBACKs, %d PUBLISHes" % (acks, len(deliveries)))
        if p.type == PUBACK:
            acks += 1
        elif p.type == PUBLISH:
            deliveries.append(p)
    check(len(deliveries) == 2, "[MQTT-3.3.4-7] more PUBLISHes than Receive Maximum 2: %d" % len(deliveries))
    check(raw.recv(QUIET * 1.5) is None, "[MQTT-3.3.4-7] a third PUBLISH arrived before any PUBACK")
    raw.ack(PUBACK, deliveries[0].publish()[1])
    third = raw.recv()
    sent = third is not None and third.type == PUBLISH and third.qos == 1
    check(sent, "third PUBLISH not sent after PUBACK: %r" % third)
    raw.ack(PUBACK, deliveries[1].publish()[1])
    raw.ack(PUBACK, third.publish()[1])
    raw.disconnect()


def test_flow_control2():
    raw = h.raw()
    ack = raw.connect_ok("myclientid", properties=connect_props(SessionExpiryInterval=0))
    receive_maximum = getattr(ack.connack_props(), "ReceiveMaximum", 65535)
    for pid in range(1, receive_maximum + 2):
        raw.publish(TOPICS[0], "message %d" % pid, 2, pid=pid)  # no PUBREL before all are sent
    # then behave like the Paho test client: answer each PUBREC with PUBREL until the DISCONNECT
    codes = []
    deadline = time.monotonic() + WAIT * 2
    while not codes and time.monotonic() < deadline:
        try:
            p = raw.recv(max(0.0, deadline - time.monotonic()))
        except EOFError:
            break
        if p is None:
            break
        if p.type == PUBREC:
            raw.ack(PUBREL, p.packet_id())
        elif p.type == DISCONNECT:
            codes.append(p.reason_code())
    raw.close()
    check(codes == [0x93], "[MQTT-3.3.4-9] expected DISCONNECT 0x93 Receive Maximum exceeded, got %s" % codes)
    return "Receive Maximum %d" % receive_maximum


def _will_delay_case(will_delay, session_expiry, low, high):
    callback.clear()
    callback2.clear()
    will = {
        "topic": TOPICS[0],
        "payload": b"test_will_delay will message",
        "qos": 2,
        "properties": props(PacketTypes.WILLMESSAGE, WillDelayInterval=will_delay),
    }
    a = aclient()
    _, rc, _ = a.open(clean=True, properties=connect_props(SessionExpiryInterval=session_expiry), will=will)
    check(rc == 0 and not a.session_present, "CONNACK")
    b = bclient()
    b.open(clean=True)
    b.subscribe([TOPICS[0]], S(2))
    a.terminate()
    start = time.monotonic()
    wait_until(lambda: callback2.count() >= 1, timeout=high + 2, interval=0.05)
    duration = time.monotonic() - start
    b.disconnect()
    check(callback2.count() == 1, "no will within %.1fs" % duration)
    m = callback2.messages[0]
    check(m.topic == TOPICS[0] and m.payload == b"test_will_delay will message", m)
    check(low <= duration <= high, "[MQTT-3.1.3-9] will after %.1fs, not %.1f-%.1fs" % (duration, low, high))
    return duration


def test_will_delay():
    # will delay 3, session expiry 5: the will after the delay
    d1 = _will_delay_case(3, 5, 2.5, 5)
    # session expiry 0 ends the session at once: the will is published immediately
    d2 = _will_delay_case(5, 0, 0, 2)
    # session expiry 2 < will delay 5: the will when the session ends
    d3 = _will_delay_case(5, 2, 1.5, 4)
    return "wills after %.1fs, %.1fs, %.1fs" % (d1, d2, d3)


def test_shared_subscriptions():
    callback.clear()
    callback2.clear()
    shared_sub = "$share/sharename/" + TOPIC_PREFIX + "x"
    shared_pub = TOPIC_PREFIX + "x"
    a, b = aclient(), bclient()
    a.open(clean=True)
    check(not a.session_present, "session present")
    a.subscribe([shared_sub, TOPICS[0]], [S(2), S(2)])
    b.open(clean=True)
    b.subscribe([shared_sub, TOPICS[0]], [S(2), S(2)])
    callback.clear()
    callback2.clear()

    b.publish(TOPICS[0], b"message 0", 0)
    wait_until(lambda: callback.count() + callback2.count() >= 2)
    time.sleep(QUIET)
    check(callback.count() == 1 and callback2.count() == 1, (callback.messages, callback2.messages))

    callback.clear()
    callback2.clear()
    count = 10
    for i in range(count):
        b.publish(shared_pub, ("message %d" % i).encode(), 0)
    wait_until(lambda: callback.count() + callback2.count() >= count)
    time.sleep(QUIET)
    a.disconnect()
    b.disconnect()
    total = callback.count() + callback2.count()
    check(total == count, "[MQTT-4.8.2-2] each message once per share group: %d of %d" % (total, count))
    return "split %d/%d" % (callback.count(), callback2.count())


# unittest.main() in the Paho suite runs the tests in alphabetical order; so do we.
TESTS = sorted([
    test_basic,
    test_retained_message,
    test_will_message,
    test_zero_length_clientid,
    test_offline_message_queueing,
    test_overlapping_subscriptions,
    test_keepalive,
    test_redelivery_on_reconnect,
    test_subscribe_failure,
    test_dollar_topics,
    test_unsubscribe,
    test_session_expiry,
    test_user_properties,
    test_payload_format,
    test_publication_expiry,
    test_subscribe_options,
    test_assigned_clientid,
    test_subscribe_identifiers,
    test_request_response,
    test_client_topic_alias,
    test_server_topic_alias,
    test_maximum_packet_size,
    test_server_keep_alive,
    test_flow_control1,
    test_flow_control2,
    test_will_delay,
    test_shared_subscriptions,
], key=lambda f: f.__name__)


def extra_args(parser):
    parser.add_argument("-n", "--nosubscribe_topic_filter", default="test/nosubscribe")
    parser.add_argument(
        "--server-keep-alive", type=int, default=60, help="expected for keepalive 120 (0 = skip)"
    )


def setup_factory(parsed):
    def setup():
        global h, args
        args = parsed
        h = Harness(parsed.hostname, parsed.port, v5=True)
        print("hostname %s port %d (MQTT 5.0, paho-mqtt)" % (parsed.hostname, parsed.port), flush=True)
        cleanup()

    return setup


if __name__ == "__main__":
    main(TESTS, "MQTT 5.0 interoperability tests", setup_factory, extra_args)
