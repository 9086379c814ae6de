"""The fork server's side of its protocol with grimoire-run: JSON lines, checked.

Its one job is that the server acts on no request, and writes no event, that
grimoire_run_protocol.json does not allow. That file is the protocol's only
description: grimoire-run reads it too (src/exec/forkServerProtocol.ts), so a
message one side changes and the other does not expect is caught at once, by
name, instead of becoming a hang or a child nobody tracks. It knows nothing of
forking, reaping or what a request asks for.

The description is JSON Schema restricted to the keywords in `_KEYWORDS`; any
other keyword is an error here rather than a rule silently left unchecked.
"""

import json
import os
import re

_DESCRIPTION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grimoire_run_protocol.json")
with open(_DESCRIPTION_FILE, encoding="utf-8") as _handle:
    DESCRIPTION = json.load(_handle)

_KEYWORDS = {"type", "const", "enum", "properties", "required", "additionalProperties", "items", "minimum", "pattern", "oneOf", "description"}
_TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    # JSON's true and false are not numbers, though Python's bool is an int.
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
}
# A line of a request quoted in an error: enough to recognise it.
_QUOTED_CHARS = 200


def _schemas(schema):
    """A schema and every schema inside it."""
    yield schema
    inner = [*schema.get("properties", {}).values(), *schema.get("oneOf", [])]
    inner += [schema[name] for name in ("items", "additionalProperties") if isinstance(schema.get(name), dict)]
    for child in inner:
        yield from _schemas(child)


def _check_description():
    """Every message's schema uses only keywords `problem` checks, and types it knows."""
    for kind in ("requests", "events"):
        for op, message in DESCRIPTION[kind].items():
            for schema in _schemas(message):
                unknown = set(schema) - _KEYWORDS
                if unknown or schema.get("type", "object") not in _TYPES:
                    raise ValueError(f"grimoire_run_protocol.json: {kind} {op} uses what this checker does not know: {sorted(unknown) or schema['type']}")


def _show(value):
    text = json.dumps(value)
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "..."


_check_description()


class ProtocolError(ValueError):
    """A message the description does not allow. `request_id`: the message's id, when it had a usable one."""

    def __init__(self, reason, request_id=None):
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id


def _join(where, name):
    return name if where is None else f"{where}.{name}"


def problem(value, schema, where=None):
    """The first way `value` breaks `schema`, in words, or None. `where` names the value (None: the whole message)."""
    subject = where or "the message"
    if "type" in schema and not _TYPES[schema["type"]](value):
        return f"{subject} must be a JSON {schema['type']}, not {_show(value)}"
    if "const" in schema and value != schema["const"]:
        return f"{subject} must be {json.dumps(schema['const'])}, not {_show(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{subject} must be one of {', '.join(json.dumps(choice) for choice in schema['enum'])}, not {_show(value)}"
    # As in JSON Schema, each of these applies only to values of its own type.
    if "minimum" in schema and _TYPES["integer"](value) and value < schema["minimum"]:
        return f"{subject} must be at least {schema['minimum']}, not {_show(value)}"
    if "pattern" in schema and isinstance(value, str) and re.search(schema["pattern"], value) is None:
        return f"{subject} must match {schema['pattern']}, not {_show(value)}"
    if "items" in schema and isinstance(value, list):
        for index, item in enumerate(value):
            found = problem(item, schema["items"], f"{subject}[{index}]")
            if found:
                return found
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                return f"{_join(where, name)} is missing"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, field in value.items():
            if name in properties:
                found = problem(field, properties[name], _join(where, name))
            elif extra is False:
                found = f"{_join(where, name)} is not a field of this message"
            elif isinstance(extra, dict):
                found = problem(field, extra, _join(where, name))
            else:
                found = None
            if found:
                return found
    if "oneOf" in schema:
        matching = [branch for branch in schema["oneOf"] if problem(value, branch, where) is None]
        if len(matching) != 1:
            forms = [branch.get("required") for branch in schema["oneOf"]]
            if all(form is not None and len(branch) == 1 for form, branch in zip(forms, schema["oneOf"])):
                names = ", ".join(name for form in forms for name in form)
                return f"{subject} must have exactly one of: {names}"
            return f"{subject} must match exactly one of its {len(forms)} forms"
    return None


def check(kind, message):
    """Raises ProtocolError unless `message` is one of the description's `kind` ("requests" or "events")."""
    schemas = DESCRIPTION[kind]
    if not isinstance(message, dict):
        raise ProtocolError(f"the message must be a JSON object, not {_show(message)}")
    op = message.get("op")
    if not isinstance(op, str) or op not in schemas:
        raise ProtocolError(f"op must be one of {', '.join(json.dumps(name) for name in schemas)}, not {_show(op)}", _usable_id(message))
    found = problem(message, schemas[op])
    if found:
        raise ProtocolError(f"{op}: {found}", _usable_id(message))


def _usable_id(message):
    """The request's id, if an error event may name it."""
    request_id = message.get("id")
    return request_id if problem(request_id, DESCRIPTION["events"]["error"]["properties"]["id"]) is None else None


def parse_request(line):
    """One request line (bytes, without its newline), checked. Raises ProtocolError."""
    try:
        message = json.loads(line)
    except ValueError as error:
        raise ProtocolError(f"not JSON ({error}): {line[:_QUOTED_CHARS]!r}") from None
    check("requests", message)
    return message


def encode_event(op, **fields):
    """One event line, checked: a server that would write a wrong one fails here, where the mistake is."""
    event = {"op": op, **fields}
    check("events", event)
    return (json.dumps(event) + "\n").encode()


class RequestReader:
    """grimoire-run's requests as whole lines: a line split across reads waits here for its newline."""

    def __init__(self, fd):
        self._fd = fd
        self._pending = b""

    def fileno(self):
        return self._fd

    def read_lines(self):
        """The complete lines one read brought (possibly none), or None once grimoire-run has closed its end."""
        chunk = os.read(self._fd, 65536)
        if not chunk:
            return None
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        return lines


class EventWriter:
    """Events to grimoire-run, a line each.

    Once grimoire-run has stopped reading (its end of the pipe is closed, as when
    it was killed), `gone` is set and later events are dropped: no one is left
    to tell, and the server must still go on to end its children.
    """

    def __init__(self, fd):
        self._fd = fd
        self.gone = False

    def emit(self, op, **fields):
        line = encode_event(op, **fields)
        if self.gone:
            return
        try:
            while line:
                line = line[os.write(self._fd, line) :]
        except OSError:
            self.gone = True
