"""The server's checker of the protocol: it accepts what grimoire_run_protocol.json allows and refuses, by name, what it does not.

The examples are shared with tests/unit/forkServerProtocol.test.ts, so that the
Node side's checker is held to the same answers.
"""

import json
import os
from pathlib import Path

import pytest

import grimoire_run_protocol as protocol

EXAMPLES = json.loads((Path(__file__).parent / "protocol_examples.json").read_text())


def _label(example):
    return example.get("line", json.dumps(example.get("message")))[:60]


@pytest.mark.parametrize("message", EXAMPLES["requests"]["valid"], ids=_label)
def test_accepts_every_request_the_description_allows(message):
    assert protocol.parse_request(json.dumps(message).encode()) == message


@pytest.mark.parametrize("example", EXAMPLES["requests"]["invalid"], ids=_label)
def test_refuses_a_malformed_request_and_names_what_is_wrong(example):
    line = example["line"].encode() if "line" in example else json.dumps(example["message"]).encode()
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_request(line)
    assert example["mentions"] in refused.value.reason


@pytest.mark.parametrize("event", EXAMPLES["events"]["valid"], ids=_label)
def test_writes_every_event_the_description_allows(event):
    fields = dict(event)
    line = protocol.encode_event(fields.pop("op"), **fields)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == event


@pytest.mark.parametrize("example", [e for e in EXAMPLES["events"]["invalid"] if "message" in e], ids=_label)
def test_refuses_to_write_an_event_the_description_does_not_allow(example):
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.check("events", example["message"])
    assert example["mentions"] in refused.value.reason


def test_every_op_of_the_description_has_examples():
    for kind in ("requests", "events"):
        ops = {message["op"] for message in EXAMPLES[kind]["valid"]}
        assert ops == set(protocol.DESCRIPTION[kind]), kind


def test_a_refused_request_keeps_its_id_when_it_had_a_usable_one():
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_request(b'{"op": "run", "id": 7, "args": []}')
    assert refused.value.request_id == 7
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_request(b'{"op": "run", "id": "7"}')
    assert refused.value.request_id is None


def test_a_request_split_across_reads_is_read_whole():
    read_fd, write_fd = os.pipe()
    reader = protocol.RequestReader(read_fd)
    try:
        os.write(write_fd, b'{"op": "run", ')
        assert reader.read_lines() == []
        os.write(write_fd, b'"id": 1}\n{"op"')
        assert reader.read_lines() == [b'{"op": "run", "id": 1}']
        os.close(write_fd)
        assert reader.read_lines() is None
    finally:
        os.close(read_fd)


def test_events_to_a_reader_that_is_gone_are_dropped_not_raised():
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    writer = protocol.EventWriter(write_fd)
    try:
        writer.emit("ready", pid=1)
        assert writer.gone
        writer.emit("started", id=1, pid=2)
    finally:
        os.close(write_fd)


def test_a_keyword_the_checkers_do_not_know_is_an_error_not_a_rule_ignored(monkeypatch):
    description = json.loads(json.dumps(protocol.DESCRIPTION))
    description["requests"]["run"]["properties"]["cwd"]["minLength"] = 1
    monkeypatch.setattr(protocol, "DESCRIPTION", description)
    with pytest.raises(ValueError, match="minLength"):
        protocol._check_description()
